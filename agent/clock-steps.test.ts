import { describe, expect, it } from 'vitest';
import type { Clock } from '../basics/clock.js';
import { memoryLog } from '../test/helpers/log.js';
import { ClockSteps } from './clock-steps.js';

function clocks() {
  let wall = 1_800_000_000_000;
  let mono = 1_000;
  const clock: Clock = { now: () => wall, monotonic: () => mono, setTimeout: () => undefined as never, clearTimeout: () => {} };
  return {
    clock,
    run: (ms: number) => ((wall += ms), (mono += ms)),
    step: (ms: number) => (wall += ms),
  };
}

describe('clock steps', () => {
  it('counts and logs a step of 2 s or more with its size, either way, and not the clock running', () => {
    const { clock, run, step } = clocks();
    const { log, records } = memoryLog();
    const steps = new ClockSteps(clock, log);
    run(60_000);
    step(1_500);
    expect(steps.figures()).toEqual({ steps: 0, lastStepMs: undefined, lastStepAt: undefined });
    step(-3_600_000);
    run(5_000);
    expect(steps.figures()).toMatchObject({ steps: 1, lastStepMs: -3_598_500 });
    step(86_400_000);
    expect(steps.figures()).toMatchObject({ steps: 2, lastStepMs: 86_400_000, lastStepAt: clock.now() });
    const logged = records.filter((line) => line.msg.startsWith('the wall clock stepped'));
    expect(logged.map((line) => [line.level, line.stepMs, line.msg])).toEqual([
      [40, -3_598_500, 'the wall clock stepped back by 60 min'],
      [40, 86_400_000, 'the wall clock stepped forward by 24.0 h'],
    ]);
  });
});
