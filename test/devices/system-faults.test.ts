import { describe, expect, it } from 'vitest';
import { FaultEngine } from '../../agent/fault-engine.js';
import { memoryFaultStore } from '../../agent/fault-store.js';
import { allThresholdDefaults } from '../../drivers/index.js';
import { resolveThresholds } from '../../drivers/thresholds.js';
import type { FaultRule } from '../../drivers/types.js';
import type { SystemReading } from '../../drivers/system/codec.js';
import { systemRules } from '../../drivers/system/faults.js';

function run(readings: SystemReading[]): string[][] {
  let seq = 0;
  const engine = new FaultEngine({ store: memoryFaultStore(), reserveSeq: () => ++seq, announce: () => {} });
  engine.setRules('system', systemRules(resolveThresholds(allThresholdDefaults(), {})) as FaultRule<unknown>[]);
  return readings.map((reading, at) => {
    engine.observe('system', { ok: true, at, reading });
    return engine.list().map((fault) => fault.code);
  });
}

describe('system faults (SPEC.md section 5)', () => {
  it('SYS_DISK_LOW below 5 % or below 20 MiB; clears at >= 7 % and >= 30 MiB', () => {
    expect(
      run([
        { diskFreePercent: 5, diskFreeMb: 500 },
        { diskFreePercent: 4.9, diskFreeMb: 490 },
        { diskFreePercent: 6.9, diskFreeMb: 690 },
        { diskFreePercent: 7, diskFreeMb: 700 },
        { diskFreePercent: 50, diskFreeMb: 19 },
        { diskFreePercent: 50, diskFreeMb: 29 },
        { diskFreePercent: 50, diskFreeMb: 30 },
      ]),
    ).toEqual([[], ['SYS_DISK_LOW'], ['SYS_DISK_LOW'], [], ['SYS_DISK_LOW'], ['SYS_DISK_LOW'], []]);
  });

  it('SYS_MEMORY_LOW below 5 % of MemTotal available; clears at >= 8 %', () => {
    expect(run([{ memAvailablePercent: 5 }, { memAvailablePercent: 4.9 }, { memAvailablePercent: 7.9 }, { memAvailablePercent: 8 }])).toEqual([
      [], ['SYS_MEMORY_LOW'], ['SYS_MEMORY_LOW'], [],
    ]);
  });

  it('without MemAvailable (an old kernel) memory faults keep their state', () => {
    expect(run([{ memAvailablePercent: 2 }, { memTotalMb: 1000 }])).toEqual([['SYS_MEMORY_LOW'], ['SYS_MEMORY_LOW']]);
  });
});
