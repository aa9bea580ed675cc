import * as z from '../protocol/schema.js';
import type { Clock, Timer } from '../basics/clock.js';
import type { SimTerminal, TerminalChange } from './terminal.js';

/**
 * A scenario is a timeline of state changes: at second `at`, `set` device fields, or `ramp` one
 * numeric field linearly to a value over some seconds (a battery draining, a head heating up).
 */

const stepSchema = z.strictObject({
  at: z.number().check(z.gte(0)),
  note: z.optional(z.string()),
  set: z.optional(z.record(z.string(), z.record(z.string(), z.unknown()))),
  ramp: z.optional(z.strictObject({ device: z.string(), field: z.string(), to: z.number(), over: z.number().check(z.positive()) })),
  /** A technician's command; played by the demo, which holds a key its terminal trusts. */
  technician: z.optional(z.enum(['merchant-approve'])),
});

export const scenarioSchema = z.strictObject({
  name: z.string(),
  description: z.optional(z.string()),
  duration: z.number().check(z.positive()),
  steps: z.array(stepSchema),
});

export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioStep = z.infer<typeof stepSchema>;

const RAMP_TICK_MS = 500;

export class ScenarioRunner {
  private readonly timers = new Set<Timer>();
  private startedAt = 0;

  constructor(
    private readonly terminal: SimTerminal,
    private readonly scenario: Scenario,
    private readonly clock: Clock,
    private readonly onStep: (step: ScenarioStep, elapsedSeconds: number) => void = () => {},
    private readonly onError: (error: Error) => void = () => {},
  ) {}

  /**
   * Applies the steps at second 0 at once (so whatever starts next sees the initial state), then
   * plays the rest. Resolves when the scenario's duration has passed, or at once after stop().
   */
  run(): Promise<void> {
    this.startedAt = this.clock.now();
    for (const step of this.scenario.steps) {
      if (step.at === 0) this.perform(step);
      else this.after(step.at * 1000, () => this.perform(step));
    }
    return new Promise((resolve) => {
      this.after(this.scenario.duration * 1000, resolve);
      this.finish = resolve;
    });
  }

  stop(): void {
    for (const timer of this.timers) this.clock.clearTimeout(timer);
    this.timers.clear();
    this.finish?.();
  }

  elapsedSeconds(): number {
    return (this.clock.now() - this.startedAt) / 1000;
  }

  private finish: (() => void) | undefined;

  private after(ms: number, action: () => void): void {
    const timer = this.clock.setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, ms);
    this.timers.add(timer);
  }

  private perform(step: ScenarioStep): void {
    try {
      if (step.set) this.terminal.apply(step.set as TerminalChange).catch((error: unknown) => this.onError(error as Error));
      if (step.ramp) this.startRamp(step.ramp);
      this.onStep(step, this.elapsedSeconds());
    } catch (error) {
      this.onError(error as Error);
    }
  }

  private startRamp(ramp: NonNullable<ScenarioStep['ramp']>): void {
    const device = ramp.device as keyof TerminalChange;
    const current = this.terminal as unknown as Record<string, { current: Record<string, unknown> } | undefined>;
    const from = current[device]?.current[ramp.field];
    if (typeof from !== 'number') throw new Error(`${ramp.device}.${ramp.field} is not a number to ramp`);
    const steps = Math.max(1, Math.round((ramp.over * 1000) / RAMP_TICK_MS));
    for (let index = 1; index <= steps; index++) {
      const value = from + ((ramp.to - from) * index) / steps;
      this.after(index * RAMP_TICK_MS, () => {
        const change = { [device]: { [ramp.field]: Math.round(value * 10) / 10 } } as TerminalChange;
        this.terminal.apply(change).catch((error: unknown) => this.onError(error as Error));
      });
    }
  }
}
