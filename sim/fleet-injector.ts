import type { FaultCode } from '../protocol/faults.js';
import type { FaultLatency } from './fault-latency.js';
import { INJECTIONS } from './injections.js';
import type { SimTerminal } from './terminal.js';

/**
 * Random faults across a simulated fleet: arrivals at a mean rate (a Poisson process, so the
 * back end sees bursts and lulls as from real terminals), each on a terminal picked at random and
 * taken away again after a while.
 *
 * Only the printer's own faults are made. The agent enables the printer's Automatic Status Back,
 * so the printer sends its new status the moment it changes and the agent raises or clears at once
 * (one status block, no debounce): the latency measured is then the agent's, the outbox's, the
 * broker's and the subscriber's, not a poll interval's wait. The injection is cheap too: a few
 * bytes on an in-process line, no file written, nothing shared between terminals (the probe host
 * is one for the whole fleet, so its faults would hit every terminal at once).
 */
export const FLEET_FAULTS: readonly FaultCode[] = [
  'PRINTER_PAPER_OUT',
  'PRINTER_PAPER_LOW',
  'PRINTER_COVER_OPEN',
  'PRINTER_CUTTER_ERROR',
  'PRINTER_OVERHEAT',
  'PRINTER_FAILURE',
];

export interface FleetTarget {
  terminalId: string;
  terminal: Pick<SimTerminal, 'apply'>;
}

export interface InjectorOptions {
  faultsPerMinute: number;
  /** Mean time a fault lasts; each one lasts between half and one and a half of it. */
  faultSeconds: number;
  latency: FaultLatency;
  now: () => number;
  onError(error: Error): void;
  random?: () => number;
}

export class FleetInjector {
  /** At most one injected fault per terminal at a time, so two never touch the same status bit. */
  private readonly active = new Map<string, { target: FleetTarget; code: FaultCode; timer: NodeJS.Timeout }>();
  private next: NodeJS.Timeout | undefined;
  private targets: readonly FleetTarget[] = [];
  private readonly random: () => number;
  /** Arrivals that found no idle terminal to fault. */
  skippedArrivals = 0;

  constructor(private readonly options: InjectorOptions) {
    this.random = options.random ?? Math.random;
  }

  start(targets: readonly FleetTarget[]): void {
    this.targets = targets;
    if (this.options.faultsPerMinute > 0) this.schedule();
  }

  /** No new faults; those still injected are taken away now. */
  async stop(): Promise<void> {
    clearTimeout(this.next);
    this.next = undefined;
    this.targets = [];
    await Promise.all([...this.active.keys()].map((terminalId) => this.clear(terminalId)));
  }

  private schedule(): void {
    // Exponential gaps between arrivals: a Poisson process with the asked mean rate.
    const meanMs = 60_000 / this.options.faultsPerMinute;
    const gap = -Math.log(1 - this.random()) * meanMs;
    this.next = setTimeout(() => {
      void this.inject();
      if (this.targets.length > 0) this.schedule();
    }, gap);
  }

  private async inject(): Promise<void> {
    const picked = this.pick();
    if (!picked) {
      this.skippedArrivals += 1;
      return;
    }
    const { target, code } = picked;
    const holdMs = this.options.faultSeconds * 1000 * (0.5 + this.random());
    const timer = setTimeout(() => void this.clear(target.terminalId), holdMs);
    this.active.set(target.terminalId, { target, code, timer });
    this.options.latency.injected(target.terminalId, code, this.options.now());
    try {
      await target.terminal.apply(INJECTIONS[code]!.inject);
    } catch (error) {
      this.options.onError(error as Error);
    }
  }

  private async clear(terminalId: string): Promise<void> {
    const entry = this.active.get(terminalId);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.active.delete(terminalId);
    this.options.latency.clearing(terminalId, entry.code, this.options.now());
    try {
      await entry.target.terminal.apply(INJECTIONS[entry.code]!.clear);
    } catch (error) {
      this.options.onError(error as Error);
    }
  }

  /**
   * A terminal without an injected fault, and a code whose previous episode there is over (its
   * clear seen); a few tries, so a busy fleet skips an arrival rather than spin.
   */
  private pick(): { target: FleetTarget; code: FaultCode } | undefined {
    for (let attempt = 0; attempt < 8 && this.targets.length > 0; attempt++) {
      const target = this.targets[Math.floor(this.random() * this.targets.length)]!;
      const code = FLEET_FAULTS[Math.floor(this.random() * FLEET_FAULTS.length)]!;
      if (!this.active.has(target.terminalId) && !this.options.latency.isOpen(target.terminalId, code)) return { target, code };
    }
    return undefined;
  }
}
