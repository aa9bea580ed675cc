import { errorMessage } from '../../basics/errors.js';
import { InputProblems } from '../problems.js';
import type { Driver, DriverEnv } from '../types.js';
import { commKey, parseBootTime, parseRssKb, parseStat, statComm, type ProcStat } from './codec.js';
import type { AppReading, ProcessInstance, WatchedProcess } from '../../protocol/readings.js';

export interface WatchedProcessConfig {
  name: string;
  comm?: string;
  minCount: number;
}

export interface AppConfig {
  processes: WatchedProcessConfig[];
  pollSeconds: number;
}

/** USER_HZ, the unit of stat's times: 100 on every Linux architecture's ABI. */
const TICKS_PER_SECOND = 100;
const KEEP_STARTS_MS = 3_600_000;
const MAX_STARTS = 32;
const PID = /^\d+$/;

/** A start as the agent saw it: on the wall clock for people, on the monotonic clock for the window. */
interface SeenStart {
  at: number;
  monotonic: number;
}

/**
 * Counts the payment application's processes: each poll lists `{procRoot}`, reads every
 * process's `stat` (one file each, so a thousand processes cost a thousand small reads), and
 * reads `status` only of the processes it watches. A process that exits between the listing and
 * the read is simply not counted.
 */
export function createAppDriver(config: AppConfig, env: Pick<DriverEnv, 'procfs' | 'log' | 'clock'>): Driver<AppReading> {
  const { procfs, log, clock } = env;
  const problems = new InputProblems(log);
  const watched = config.processes.map((p) => ({ ...p, comm: p.comm ?? p.name, key: commKey(p.comm ?? p.name) }));
  const keys = new Set(watched.map((w) => w.key));
  const history = watched.map(() => ({ known: undefined as Set<string> | undefined, restarts: 0, starts: [] as SeenStart[] }));
  let garbled = new Set<string>();

  /** The stat line of each listed process; undefined for one that is gone or unreadable. */
  async function readStats(pids: string[]): Promise<(string | undefined)[]> {
    const readSmall = procfs.readSmall;
    if (!readSmall) return Promise.all(pids.map((pid) => procfs.read(`${pid}/stat`).catch((error: unknown) => unreadable(pid, error))));
    return pids.map((pid) => {
      try {
        return readSmall(`${pid}/stat`);
      } catch (error) {
        return unreadable(pid, error);
      }
    });
  }

  function unreadable(pid: string, error: unknown): undefined {
    const file = procfs.where(`${pid}/stat`);
    log.debug({ file, err: errorMessage(error) }, `${file} cannot be read; the process is not counted`);
    return undefined;
  }

  function parse(pid: string, text: string | undefined, seenGarbled: Set<string>): ProcStat | undefined {
    if (text === undefined) {
      // Processes come and go between the listing and the read: that is /proc, not a fault.
      const file = procfs.where(`${pid}/stat`);
      log.debug({ file }, `${file} vanished between listing and reading; the process is not counted`);
      return undefined;
    }
    const comm = statComm(text);
    if (comm !== undefined && !keys.has(comm)) return undefined;
    const stat = parseStat(text);
    if (stat.problem) {
      const file = procfs.where(`${pid}/stat`);
      if (!garbled.has(pid)) log.warn({ file, problem: stat.problem }, `${file}: ${stat.problem}; the process is not counted`);
      seenGarbled.add(pid);
    }
    return stat.value;
  }

  async function readRss(pid: string): Promise<number | undefined> {
    try {
      return parseRssKb(await procfs.read(`${pid}/status`));
    } catch {
      return undefined;
    }
  }

  async function bootTime(): Promise<number | undefined> {
    let text: string | undefined;
    try {
      text = await procfs.read('stat');
    } catch (error) {
      problems.report(procfs.where('stat'), `cannot be read: ${errorMessage(error)}`);
      return undefined;
    }
    const parsed = parseBootTime(text);
    problems.report(procfs.where('stat'), parsed.problem);
    return parsed.value;
  }

  return {
    async read() {
      const listing = await procfs.list('');
      if (listing === undefined) throw new Error(`${procfs.root} does not exist`);
      const pids = listing.filter((name) => PID.test(name));
      const seenGarbled = new Set<string>();
      const texts = await readStats(pids);
      const stats = pids.map((pid, i) => parse(pid, texts[i], seenGarbled));
      garbled = seenGarbled;
      const btime = await bootTime();

      const matches = new Map<string, { pid: string; stat: ProcStat }[]>();
      stats.forEach((stat, i) => {
        if (!stat) return;
        const list = matches.get(stat.comm) ?? [];
        list.push({ pid: pids[i]!, stat });
        matches.set(stat.comm, list);
      });

      const now = clock.now();
      const monotonic = clock.monotonic();
      const processes = await Promise.all(
        watched.map(async (w, i): Promise<WatchedProcess> => {
          const found = matches.get(w.key) ?? [];
          const instances = await Promise.all(
            found.map(async ({ pid, stat }): Promise<ProcessInstance> => {
              const instance: ProcessInstance = { pid: Number(pid), cpuSeconds: stat.cpuTicks / TICKS_PER_SECOND };
              if (btime !== undefined) instance.startedAt = btime * 1000 + Math.round((stat.startTicks * 1000) / TICKS_PER_SECOND);
              const rssKb = await readRss(pid);
              if (rssKb !== undefined) instance.rssKb = rssKb;
              return instance;
            }),
          );
          const past = history[i]!;
          const current = new Set(found.map(({ pid, stat }) => `${pid}@${stat.startTicks}`));
          if (past.known) {
            for (const key of current) {
              if (!past.known.has(key)) {
                past.restarts += 1;
                past.starts.push({ at: now, monotonic });
              }
            }
          }
          past.known = current;
          past.starts = past.starts.filter((start) => monotonic - start.monotonic < KEEP_STARTS_MS).slice(-MAX_STARTS);
          return {
            name: w.name,
            comm: w.comm,
            minCount: w.minCount,
            count: instances.length,
            instances,
            restarts: past.restarts,
            starts: past.starts.map((start) => start.at),
            startAgesMs: past.starts.map((start) => monotonic - start.monotonic),
          };
        }),
      );
      return { processes, scanned: pids.length };
    },
  };
}
