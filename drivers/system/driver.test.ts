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
