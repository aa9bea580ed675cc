import { errorMessage } from '../../basics/errors.js';
import { InputProblems } from '../problems.js';
import type { SysfsReader } from '../sysfs.js';
import type { Driver, DriverEnv } from '../types.js';
import { clockAndBoots } from './clock-boots.js';
import { diskFigures, parseLoadavg, parseMeminfo, parseUptime } from './codec.js';
import type { SystemReading } from '../../protocol/readings.js';

/** Reads memory, load and uptime from proc and the free space of the state folder's filesystem. */
export function createSystemDriver(
  env: Pick<DriverEnv, 'procfs' | 'log' | 'statfs' | 'stateDir' | 'clock'> & { files: SysfsReader; clockSyncFile?: string; monotonic?: () => number },
): Driver<SystemReading> {
  const { procfs } = env;
  const problems = new InputProblems(env.log);
  const readClockAndBoots = clockAndBoots({ ...env, problems });

  async function readProc(file: string): Promise<string | undefined> {
    try {
      return await procfs.read(file);
    } catch (error) {
      problems.report(procfs.where(file), `cannot be read: ${errorMessage(error)}`);
      return undefined;
    }
  }

  return {
    async read() {
      const [meminfo, loadavg, uptime] = await Promise.all([readProc('meminfo'), readProc('loadavg'), readProc('uptime')]);
      const reading: SystemReading = {};
      const memory = parseMeminfo(meminfo);
      problems.report(procfs.where('meminfo'), memory.problem);
      Object.assign(reading, memory.value);
      const load = parseLoadavg(loadavg);
      problems.report(procfs.where('loadavg'), load.problem);
      Object.assign(reading, load.value);
      const up = parseUptime(uptime);
      problems.report(procfs.where('uptime'), up.problem);
      if (up.value !== undefined) reading.uptimeSeconds = up.value;
      try {
        Object.assign(reading, diskFigures(await env.statfs(env.stateDir)));
        problems.report(`statfs ${env.stateDir}`, undefined);
      } catch (error) {
        problems.report(`statfs ${env.stateDir}`, errorMessage(error));
      }
      return Object.assign(reading, await readClockAndBoots());
    },
  };
}
