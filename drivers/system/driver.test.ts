import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILT_AT } from '../../basics/build-time.js';
import { memoryLog } from '../../test/helpers/log.js';
import { sysfsAt } from '../sysfs.js';
import { diskFigures } from './codec.js';
import { createSystemDriver } from './driver.js';

const CASES = path.join(import.meta.dirname, 'testcases');
const DISK = { bsize: 4096, blocks: 262_144, bavail: 131_072 }; // 1 GiB, half available
const NOW = 1_795_000_000_000;
const clock = { now: () => NOW, monotonic: () => 0, setTimeout: () => undefined as never, clearTimeout: () => {} };
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'system-state-'));
afterAll(() => fs.rmSync(stateDir, { recursive: true, force: true }));
const base = { stateDir, clock, files: sysfsAt('/') };

describe('system driver against fixture trees', () => {
  for (const name of fs.readdirSync(CASES)) {
    it(name, async () => {
      const root = path.join(CASES, name);
      const expected = JSON.parse(fs.readFileSync(path.join(root, 'expected.json'), 'utf8'));
      const { log, records } = memoryLog();
      const driver = createSystemDriver({ ...base, procfs: sysfsAt(path.join(root, 'proc')), log, statfs: async () => DISK });
      const reading = await driver.read(new AbortController().signal);
      expect(reading).toEqual({ ...expected.reading, diskFreeMb: 512, diskTotalMb: 1024, diskFreePercent: 50, wallClock: NOW, builtAt: BUILT_AT });
      const warned = records.filter((record) => record.level === 40).map((record) => path.basename(record.file));
      expect(warned.sort()).toEqual([...expected.problems].sort());
    });
  }

  it('reports a failing statfs once, and keeps the other values', async () => {
    const { log, records } = memoryLog();
    const driver = createSystemDriver({
      ...base,
      procfs: sysfsAt(path.join(CASES, 'normal/proc')),
      log,
      stateDir: '/gone',
      statfs: async () => {
        throw Object.assign(new Error('ENOENT: no such file or directory'), { code: 'ENOENT' });
      },
    });
    const reading = await driver.read(new AbortController().signal);
    await driver.read(new AbortController().signal);
    expect(reading.memAvailableMb).toBe(1024);
    expect(reading.diskFreeMb).toBeUndefined();
    expect(records.filter((record) => record.level === 40)).toHaveLength(1);
  });

  it('computes free space from bavail, not bfree', () => {
    expect(diskFigures({ bsize: 1024, blocks: 1024 * 100, bavail: 1024 * 3 })).toEqual({ diskFreeMb: 3, diskTotalMb: 100, diskFreePercent: 3 });
  });
});

describe('system driver: the clock sync flag and the boots', () => {
  it('times how long the sync flag is absent on the monotonic clock, and adds a boot id seen while running', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'system-clock-'));
    try {
      fs.cpSync(path.join(CASES, 'normal/proc'), path.join(dir, 'proc'), { recursive: true });
      const flag = path.join(dir, 'run/synchronized');
      fs.mkdirSync(path.dirname(flag));
      fs.writeFileSync(flag, '');
      let monotonic = 5_000;
      const { log } = memoryLog();
      const driver = createSystemDriver({ ...base, procfs: sysfsAt(path.join(dir, 'proc')), log, statfs: async () => DISK, clockSyncFile: flag, monotonic: () => monotonic });
      const read = () => driver.read(new AbortController().signal);
      expect(await read()).toMatchObject({ clockSynced: true });
      expect((await read()).unsyncedSeconds).toBeUndefined();
      fs.rmSync(flag);
      expect(await read()).toMatchObject({ clockSynced: false, unsyncedSeconds: 0 });
      monotonic += 601_000;
      expect(await read()).toMatchObject({ clockSynced: false, unsyncedSeconds: 601 });
      fs.writeFileSync(flag, '');
      const back = await read();
      expect(back.clockSynced).toBe(true);
      expect(back.unsyncedSeconds).toBeUndefined();

      fs.writeFileSync(path.join(dir, 'proc/sys/kernel/random/boot_id'), '11111111-2222-4333-8444-555555555555\n');
      expect((await read()).boots?.map((boot) => boot.bootId)).toEqual(['7c1e4f2a-9b3d-4e8f-a1c2-5d6e7f8a9b0c', '11111111-2222-4333-8444-555555555555']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
