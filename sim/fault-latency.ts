/**
 * End-to-end fault latency as a back end sees it: from the moment a fault is injected into a
 * simulated terminal to the moment its `R/fault` raise reaches a subscriber, and from the moment
 * it is taken away to the moment the clear with the same `id` arrives. Times are the caller's
 * (one clock for both ends: the fleet and its subscriber share a process).
 */

export interface LatencyFigures {
  count: number;
  p50?: number;
  p90?: number;
  p99?: number;
  max?: number;
}

/** Nearest-rank percentiles: each figure is a latency that was actually measured. */
export function latencyFigures(samples: readonly number[]): LatencyFigures {
  if (samples.length === 0) return { count: 0 };
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (percent: number) => sorted[Math.max(0, Math.ceil((percent / 100) * sorted.length) - 1)]!;
  return { count: sorted.length, p50: rank(50), p90: rank(90), p99: rank(99), max: sorted[sorted.length - 1]! };
}

export interface FaultArrival {
  code: string;
  state: 'raised' | 'cleared';
  id: string;
}

export interface FaultLatencyReport {
  injected: number;
  clearsApplied: number;
  raise: LatencyFigures;
  clear: LatencyFigures;
  /** Raises or clears no injection explains, by fault code: faults the simulation did not make. */
  unexpected: Record<string, number>;
  /** QoS 1 redeliveries of a raise or clear already counted. */
  duplicates: number;
  /** Injections whose raise has not arrived, and clears applied whose clear has not arrived. */
  awaitingRaise: number;
  awaitingClear: number;
}

interface Episode {
  injectedAt: number;
  raiseId?: string;
  clearAppliedAt?: number;
}

export class FaultLatency {
  /** One open episode per terminal and code: an injection not yet seen cleared. */
  private readonly open = new Map<string, Episode>();
  /** Ids of episodes already closed, to tell a redelivered clear from an unexpected one. */
  private readonly closed = new Set<string>();
  private readonly raises: number[] = [];
  private readonly clears: number[] = [];
  private readonly unexpected: Record<string, number> = {};
  private duplicates = 0;
  private injectedCount = 0;
  private clearsApplied = 0;

  /** A fault was made to happen on a terminal at `at`. */
  injected(terminalId: string, code: string, at: number): void {
    const key = episodeKey(terminalId, code);
    if (this.open.has(key)) throw new Error(`${code} is already injected on ${terminalId}`);
    this.open.set(key, { injectedAt: at });
    this.injectedCount += 1;
  }

  /** The injected fault was taken away at `at`. */
  clearing(terminalId: string, code: string, at: number): void {
    const episode = this.open.get(episodeKey(terminalId, code));
    if (!episode || episode.clearAppliedAt !== undefined) throw new Error(`${code} is not injected on ${terminalId}`);
    episode.clearAppliedAt = at;
    this.clearsApplied += 1;
  }

  /** A fault message from `terminalId` reached the subscriber at `at`. */
  received(terminalId: string, fault: FaultArrival, at: number): void {
    const key = episodeKey(terminalId, fault.code);
    const episode = this.open.get(key);
    if (fault.state === 'raised') {
      if (episode && episode.raiseId === undefined) {
        episode.raiseId = fault.id;
        this.raises.push(at - episode.injectedAt);
      } else if (episode?.raiseId === fault.id || this.closed.has(`${key}/${fault.id}`)) {
        this.duplicates += 1;
      } else {
        this.countUnexpected(fault.code);
      }
      return;
    }
    if (episode && episode.raiseId === fault.id && episode.clearAppliedAt !== undefined) {
      this.clears.push(at - episode.clearAppliedAt);
      this.open.delete(key);
      this.closed.add(`${key}/${fault.id}`);
    } else if (this.closed.has(`${key}/${fault.id}`)) {
      this.duplicates += 1;
    } else {
      this.countUnexpected(fault.code);
    }
  }

  /** Whether an injection of `code` on the terminal is still open (injected, its clear not seen). */
  isOpen(terminalId: string, code: string): boolean {
    return this.open.has(episodeKey(terminalId, code));
  }

  /** Clears applied whose clear message has not arrived yet. */
  get awaitingClear(): number {
    let count = 0;
    for (const episode of this.open.values()) if (episode.clearAppliedAt !== undefined) count += 1;
    return count;
  }

  report(): FaultLatencyReport {
    let awaitingRaise = 0;
    for (const episode of this.open.values()) if (episode.raiseId === undefined) awaitingRaise += 1;
    return {
      injected: this.injectedCount,
      clearsApplied: this.clearsApplied,
      raise: latencyFigures(this.raises),
      clear: latencyFigures(this.clears),
      unexpected: { ...this.unexpected },
      duplicates: this.duplicates,
      awaitingRaise,
      awaitingClear: this.awaitingClear,
    };
  }

  private countUnexpected(code: string): void {
    this.unexpected[code] = (this.unexpected[code] ?? 0) + 1;
  }
}

function episodeKey(terminalId: string, code: string): string {
  return `${terminalId}/${code}`;
}
