import { readingRule } from '../rules.js';
import type { ThresholdDefaults, Thresholds } from '../thresholds.js';
import type { FaultRule } from '../types.js';
import type { SystemReading } from '../../protocol/readings.js';

export const SYSTEM_THRESHOLDS: ThresholdDefaults = {
  SYS_DISK_LOW: { raisePercent: 5, raiseMb: 20, clearPercent: 7, clearMb: 30 },
  SYS_MEMORY_LOW: { raisePercent: 5, clearPercent: 8 },
  SYS_CLOCK_UNSYNCED: { raiseSeconds: 600 },
  SYS_REBOOT_LOOP: { boots: 3, windowSeconds: 3600 },
};

export function systemRules(t: Thresholds): FaultRule<SystemReading>[] {
  return [
    readingRule('SYS_DISK_LOW', t, (r) => {
      if (r.diskFreeMb === undefined || r.diskFreePercent === undefined) return undefined;
      const { raisePercent, raiseMb, clearPercent, clearMb } = t.SYS_DISK_LOW as Record<string, number>;
      const detail = { diskFreeMb: r.diskFreeMb, diskFreePercent: r.diskFreePercent };
      if (r.diskFreePercent < raisePercent! || r.diskFreeMb < raiseMb!) return { holds: true, detail };
      if (r.diskFreePercent >= clearPercent! && r.diskFreeMb >= clearMb!) return { holds: false, detail };
      return undefined;
    }),
    readingRule('SYS_MEMORY_LOW', t, (r) => {
      if (r.memAvailablePercent === undefined) return undefined;
      const { raisePercent, clearPercent } = t.SYS_MEMORY_LOW as Record<string, number>;
      const detail = { memAvailableMb: r.memAvailableMb, memAvailablePercent: r.memAvailablePercent };
      if (r.memAvailablePercent < raisePercent!) return { holds: true, detail };
      if (r.memAvailablePercent >= clearPercent!) return { holds: false, detail };
      return undefined;
    }),
    readingRule('SYS_CLOCK_INVALID', t, (r) => {
      if (r.wallClock === undefined || r.builtAt === undefined) return undefined;
      const detail = { wallClock: new Date(r.wallClock).toISOString(), builtAt: new Date(r.builtAt).toISOString() };
      return { holds: r.wallClock < r.builtAt, detail, now: true };
    }),
    readingRule('SYS_CLOCK_UNSYNCED', t, (r) => {
      if (r.clockSynced === undefined) return undefined;
      if (r.clockSynced) return { holds: false, detail: {} };
      const seconds = r.unsyncedSeconds ?? 0;
      return seconds >= t.SYS_CLOCK_UNSYNCED.raiseSeconds! ? { holds: true, detail: { unsyncedSeconds: seconds } } : undefined;
    }),
    {
      // Boots are counted by when the agent saw them; the fault clears a whole window after the last.
      code: 'SYS_REBOOT_LOOP',
      raisePolls: 1,
      clearPolls: 1,
      assess(sample) {
        if (!sample.ok || !sample.reading.boots) return undefined;
        const windowMs = t.SYS_REBOOT_LOOP.windowSeconds! * 1000;
        const recent = sample.reading.boots.filter((boot) => boot.at > sample.at - windowMs);
        if (recent.length >= t.SYS_REBOOT_LOOP.boots!) {
          return { holds: true, detail: { boots: recent.map(({ bootId, at, restart }) => ({ bootId, at, restart })), windowSeconds: windowMs / 1000 } };
        }
        return recent.length === 0 ? { holds: false, detail: {} } : undefined;
      },
    },
  ];
}
