import { readingRule } from '../rules.js';
import type { ThresholdDefaults, Thresholds } from '../thresholds.js';
import type { FaultRule } from '../types.js';
import type { SystemReading } from './codec.js';

export const SYSTEM_THRESHOLDS: ThresholdDefaults = {
  SYS_DISK_LOW: { raisePercent: 5, raiseMb: 20, clearPercent: 7, clearMb: 30 },
  SYS_MEMORY_LOW: { raisePercent: 5, clearPercent: 8 },
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
  ];
}
