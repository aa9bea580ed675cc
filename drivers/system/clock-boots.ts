import path from 'node:path';
import { BUILT_AT } from '../../basics/build-time.js';
import type { Clock } from '../../basics/clock.js';
import { errorMessage } from '../../basics/errors.js';
import type { InputProblems } from '../problems.js';
import type { SysfsReader } from '../sysfs.js';
import { BOOT_ID_FILE, BOOTS_KEPT, parseBootId, readBoots } from './boots.js';
import type { ClockAndBoots } from '../../protocol/readings.js';

export interface ClockAndBootsOptions {
  procfs: SysfsReader;
  stateDir: string;
  clock: Clock;
  problems: InputProblems;
  clockSyncFile?: string;
  /** Monotonic milliseconds: an NTP step must not shorten or stretch "unsynchronized for 10 min". */
  monotonic?: () => number;
  /** Files outside proc and sys (the clock sync flag); the whole filesystem in production. */
  files: SysfsReader;
}

/**
 * Reads the boot id each poll (a new one while running only happens on the simulator; a real
 * reboot restarts the agent, which records the boot at its start) and whether the clock is synced.
 */
export function clockAndBoots(options: ClockAndBootsOptions): () => Promise<ClockAndBoots> {
  const { procfs, clock, problems, files } = options;
  const monotonic = options.monotonic ?? (() => performance.now());
  const boots = readBoots(options.stateDir);
  let unsyncedSince: number | undefined;

  async function bootId(): Promise<string | undefined> {
    const file = procfs.where(BOOT_ID_FILE);
    let text: string | undefined;
    try {
      text = await procfs.read(BOOT_ID_FILE);
    } catch (error) {
      problems.report(file, `cannot be read: ${errorMessage(error)}`);
      return undefined;
    }
    const parsed = parseBootId(text);
    problems.report(file, parsed.problem);
    return parsed.value;
  }

  async function synced(file: string): Promise<boolean | undefined> {
    try {
      const names = await files.list(path.dirname(file));
      problems.report(file, undefined);
      return names !== undefined && names.includes(path.basename(file));
    } catch (error) {
      problems.report(file, `cannot be checked: ${errorMessage(error)}`);
      return undefined;
    }
  }

  return async () => {
    const now = clock.now();
    const id = await bootId();
    if (id !== undefined && boots.at(-1)?.bootId !== id) {
      boots.push({ bootId: id, at: now });
      boots.splice(0, Math.max(0, boots.length - BOOTS_KEPT));
    }
    const result: ClockAndBoots = { wallClock: now, builtAt: BUILT_AT, boots: [...boots] };
    if (id !== undefined) result.bootId = id;
    if (options.clockSyncFile !== undefined) {
      const isSynced = await synced(options.clockSyncFile);
      if (isSynced !== undefined) {
        result.clockSynced = isSynced;
        if (isSynced) unsyncedSince = undefined;
        else unsyncedSince ??= monotonic();
        if (unsyncedSince !== undefined) result.unsyncedSeconds = Math.floor((monotonic() - unsyncedSince) / 1000);
      }
    }
    return result;
  };
}
