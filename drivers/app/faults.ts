import { readingRule } from '../rules.js';
import type { ThresholdDefaults, Thresholds } from '../thresholds.js';
import type { FaultRule } from '../types.js';
import type { AppReading } from '../../protocol/readings.js';

export const APP_THRESHOLDS: ThresholdDefaults = {
  APP_DOWN: { polls: 2, clearPolls: 1 },
  APP_CRASH_LOOP: { starts: 3, windowSeconds: 600 },
};

/**
 * One code per condition for all watched processes: the detail names every process that is down
 * (or restarting), as it was when the fault was raised. A poll that could not list the processes
 * says nothing, so a failing read never raises nor clears.
 */
export function appRules(t: Thresholds): FaultRule<AppReading>[] {
  return [
    readingRule('APP_DOWN', t, (r) => {
      const down = r.processes.filter((p) => p.count < p.minCount);
      return { holds: down.length > 0, detail: { processes: down.map(({ name, comm, count, minCount }) => ({ name, comm, count, minCount })) } };
    }),
    {
      // Raised at the start that makes it a loop, cleared once a whole window passes without one.
      code: 'APP_CRASH_LOOP',
      raisePolls: 1,
      clearPolls: 1,
      assess(sample) {
        if (!sample.ok) return undefined;
        const windowMs = t.APP_CRASH_LOOP.windowSeconds! * 1000;
        // Ages on the monotonic clock, not `sample.at`: a wall-clock step must not move the window.
        const looping = sample.reading.processes
          .map((p) => ({ name: p.name, comm: p.comm, starts: p.startAgesMs.filter((age) => age < windowMs).length, restarts: p.restarts }))
          .filter((p) => p.starts >= t.APP_CRASH_LOOP.starts!);
        if (looping.length > 0) return { holds: true, detail: { processes: looping, windowSeconds: windowMs / 1000 } };
        const quiet = sample.reading.processes.every((p) => p.startAgesMs.every((age) => age >= windowMs));
        return quiet ? { holds: false, detail: {} } : undefined;
      },
    },
  ];
}
