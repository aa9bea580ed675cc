import type { Parsed } from '../battery/codec.js';

/** The fields of `/proc/PID/stat` the app device uses (proc(5)). */
export interface ProcStat {
  comm: string;
  /** Clock ticks since boot when the process started. */
  startTicks: number;
  /** User and system time, clock ticks. */
  cpuTicks: number;
}

/**
 * `/proc/PID/stat`: `1234 (comm) S 1 …`. The command name may hold spaces and parentheses, so
 * it runs from the first `(` to the last `)`; the fields after it are counted from there
 * (state is field 3, utime 14, stime 15, starttime 22).
 */
export function parseStat(text: string): Parsed<ProcStat> {
  const comm = statComm(text);
  if (comm === undefined) return { problem: 'no command name in parentheses' };
  const close = text.lastIndexOf(')');
  const rest = text.slice(close + 2).split(' ');
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  const start = Number(rest[19]);
  if (!Number.isSafeInteger(utime) || !Number.isSafeInteger(stime) || !Number.isSafeInteger(start) || start < 0) {
    return { problem: `not a stat line: ${JSON.stringify(text.slice(0, 60))}` };
  }
  return { value: { comm, startTicks: start, cpuTicks: utime + stime } };
}

/** Just the command name of a stat line: most processes are not watched, and need no more. */
export function statComm(text: string): string | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  return open < 0 || close < open ? undefined : text.slice(open + 1, close);
}

/** `VmRSS:     12345 kB` from `/proc/PID/status`; kernel threads have none. */
export function parseRssKb(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** `btime 1700000000` from `/proc/stat`: the boot time, seconds since the epoch. */
export function parseBootTime(text: string | undefined): Parsed<number> {
  if (text === undefined) return {};
  const match = /^btime (\d+)$/m.exec(text);
  return match ? { value: Number(match[1]) } : { problem: 'no btime line' };
}

/** The kernel keeps 15 characters of a command name (TASK_COMM_LEN). */
export function commKey(comm: string): string {
  return comm.slice(0, 15);
}
