import type { FaultRule, Sample } from '../drivers/types.js';
import type { DeviceName } from '../protocol/devices.js';
import { FAULTS, type FaultCode } from '../protocol/faults.js';
import type { Severity } from '../protocol/faults.js';
import type { ActiveFaultStatus } from '../protocol/status.js';

/**
 * The one fault engine for every device. Rules say, sample by sample, whether a fault's condition
 * holds; the engine applies debounce (N consecutive samples), raises each fault once per episode,
 * clears it with the same id, and keeps the active set in a store that survives restarts.
 */

/** An active fault as the status answer shows it (protocol/status.ts), plus what only the engine keeps. */
export interface ActiveFault extends ActiveFaultStatus {
  /** Only on disk, while its clear is announced: what the clear carries (see resumeClears). */
  clearing?: { seq: number; clearedAt: number; detail: Record<string, unknown> };
}

export type FaultTransition =
  | { state: 'raised'; fault: ActiveFault; seq: number }
  | { state: 'cleared'; fault: ActiveFault; seq: number; clearedAt: number; detail: Record<string, unknown> };

export interface ActiveFaultStore {
  load(): ActiveFault[];
  save(faults: ActiveFault[]): void;
}

export interface FaultEngineOptions {
  store: ActiveFaultStore;
  /** Takes the next sequence number from the outbox, for the message about to be announced. */
  reserveSeq(): number;
  /**
   * Publishes a transition with the seq it carries. A raise is saved in the store before it is
   * announced; a clear is saved as clearing before and removed after, so that a crash in
   * between neither repeats it nor leaves a raise that no clear will follow (SPEC.md section 4,
   * faults across restarts).
   */
  announce(transition: FaultTransition): void;
  /** The active set changed; called once the transitions of one sample (or one retirement) are all announced. */
  changed?(): void;
}

interface Debounce {
  holding: number;
  clearing: number;
}

export class FaultEngine {
  private readonly active = new Map<FaultCode, ActiveFault>();
  private readonly rules = new Map<DeviceName, FaultRule<unknown>[]>();
  private readonly debounce = new Map<FaultCode, Debounce>();

  constructor(private readonly options: FaultEngineOptions) {
    for (const fault of options.store.load()) this.active.set(fault.code, fault);
  }

  /** Rules of one device; counters start afresh (a reload), the active faults stay. */
  setRules(device: DeviceName, rules: FaultRule<unknown>[]): void {
    this.rules.set(device, rules);
    for (const rule of rules) this.debounce.set(rule.code, { holding: 0, clearing: 0 });
  }

  /** Feeds one sample of one device to its rules; every raise and clear is announced. */
  observe(device: DeviceName, sample: Sample<unknown>): void {
    let changes = 0;
    for (const rule of this.rules.get(device) ?? []) {
      const assessment = rule.assess(sample);
      const counters = this.debounce.get(rule.code)!;
      const fault = this.active.get(rule.code);
      if (assessment === undefined) {
        counters.holding = 0;
        counters.clearing = 0;
      } else if (assessment.holds) {
        counters.holding += 1;
        counters.clearing = 0;
        if (!fault && (assessment.now || counters.holding >= rule.raisePolls)) {
          this.raise(rule.code, sample.at, assessment.detail ?? {});
          changes += 1;
        }
      } else {
        counters.clearing += 1;
        counters.holding = 0;
        if (fault && (assessment.now || counters.clearing >= rule.clearPolls)) {
          this.clear(fault, sample.at, assessment.detail ?? {});
          changes += 1;
        }
      }
    }
    if (changes > 0) this.options.changed?.();
  }

  /**
   * Finishes the clears that a crash interrupted, before anything else runs: a clear whose seq
   * the outbox has written went out; one it has not is handed to `write` under its own seq.
   */
  resumeClears(lastWrittenSeq: number, write: (transition: FaultTransition) => void): void {
    const interrupted = [...this.active.values()].filter((fault) => fault.clearing).sort((a, b) => a.clearing!.seq - b.clearing!.seq);
    for (const { clearing, ...fault } of interrupted) {
      if (clearing!.seq > lastWrittenSeq) write({ state: 'cleared', fault, seq: clearing!.seq, clearedAt: clearing!.clearedAt, detail: clearing!.detail });
      this.active.delete(fault.code);
    }
    if (interrupted.length > 0) this.options.store.save(this.list());
  }

  /** Clears every active fault of devices that are no longer polled (a config change across a restart). */
  retireDevices(polled: readonly DeviceName[], at: number): void {
    const retired = [...this.active.values()].filter((fault) => !polled.includes(fault.device));
    for (const fault of retired) this.clear(fault, at, { reason: 'device no longer configured' });
    if (retired.length > 0) this.options.changed?.();
  }

  /** Active faults in `reasons` order: critical first, each group in the order raised. */
  list(): ActiveFault[] {
    return [...this.active.values()].sort(
      (a, b) => severityRank(a.severity) - severityRank(b.severity) || a.raiseSeq - b.raiseSeq,
    );
  }

  private raise(code: FaultCode, at: number, detail: Record<string, unknown>): void {
    const definition = FAULTS[code];
    const seq = this.options.reserveSeq();
    const fault: ActiveFault = {
      id: `f-${seq}`,
      code,
      device: definition.device,
      severity: definition.severity,
      raisedAt: at,
      message: definition.message,
      detail: compact(detail),
      raiseSeq: seq,
    };
    this.active.set(code, fault);
    this.options.store.save(this.list());
    this.options.announce({ state: 'raised', fault, seq });
  }

  private clear(fault: ActiveFault, at: number, detail: Record<string, unknown>): void {
    const seq = this.options.reserveSeq();
    const transition: FaultTransition = { state: 'cleared', fault, seq, clearedAt: at, detail: compact(detail) };
    const clearing = { seq, clearedAt: at, detail: transition.detail };
    this.options.store.save(this.list().map((each) => (each === fault ? { ...each, clearing } : each)));
    this.options.announce(transition);
    this.active.delete(fault.code);
    this.options.store.save(this.list());
  }
}

function severityRank(severity: Severity): number {
  return severity === 'critical' ? 0 : 1;
}

/** Drops undefined values so that a detail serialises the same before and after a restart. */
function compact(detail: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(detail).filter(([, value]) => value !== undefined));
}
