import { describe, expect, it } from 'vitest';
import { FaultEngine } from '../../agent/fault-engine.js';
import { memoryFaultStore } from '../../agent/fault-store.js';
import { allThresholdDefaults } from '../../drivers/index.js';
import { resolveThresholds } from '../../drivers/thresholds.js';
import type { FaultRule } from '../../drivers/types.js';
import { systemRules } from '../../drivers/system/faults.js';
import type { SystemReading } from '../../protocol/readings.js';

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

describe('system clock and boot faults (SPEC.md section 5)', () => {
  const codes = (readings: SystemReading[], at: (i: number) => number) => {
    let seq = 0;
    const engine = new FaultEngine({ store: memoryFaultStore(), reserveSeq: () => ++seq, announce: () => {} });
    engine.setRules('system', systemRules(resolveThresholds(allThresholdDefaults(), {})) as FaultRule<unknown>[]);
    return readings.map((reading, i) => {
      engine.observe('system', { ok: true, at: at(i), reading });
      return engine.list().map((fault) => fault.code);
    });
  };

  it('SYS_CLOCK_INVALID while the wall clock is before the build time, at once', () => {
    const built = Date.UTC(2026, 10, 1);
    expect(codes([{ wallClock: built + 1, builtAt: built }, { wallClock: Date.UTC(2001, 0, 1), builtAt: built }, { wallClock: built, builtAt: built }], (i) => i)).toEqual([
      [], ['SYS_CLOCK_INVALID'], [],
    ]);
  });

  it('SYS_CLOCK_UNSYNCED after 10 minutes without the sync file; clears when it is back', () => {
    expect(
      codes(
        [{ clockSynced: false, unsyncedSeconds: 0 }, { clockSynced: false, unsyncedSeconds: 599 }, { clockSynced: false, unsyncedSeconds: 600 }, { clockSynced: true }, {}],
        (i) => i,
      ),
    ).toEqual([[], [], ['SYS_CLOCK_UNSYNCED'], [], []]);
  });

  it('SYS_REBOOT_LOOP at 3 boots within an hour; clears an hour after the last', () => {
    const hour = 3_600_000;
    const boots = [{ bootId: 'a', at: 0 }, { bootId: 'b', at: 20 * 60_000 }, { bootId: 'c', at: 50 * 60_000 }];
    const times = [20 * 60_000, 50 * 60_000, 50 * 60_000 + hour - 1, 50 * 60_000 + hour];
    expect(codes([{ boots: boots.slice(0, 2) }, { boots }, { boots }, { boots }], (i) => times[i]!)).toEqual([[], ['SYS_REBOOT_LOOP'], ['SYS_REBOOT_LOOP'], []]);
    // Three boots spread over more than an hour are no loop.
    expect(codes([{ boots: [{ bootId: 'a', at: 0 }, { bootId: 'b', at: hour / 2 }, { bootId: 'c', at: hour + 1 }] }], () => hour + 1)).toEqual([[]]);
  });
});
