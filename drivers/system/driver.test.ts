import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryLog } from '../../test/helpers/log.js';
import { sysfsAt } from '../sysfs.js';
import { diskFigures } from './codec.js';
import { createSystemDriver } from './driver.js';

const CASES = path.join(import.meta.dirname, 'testcases');
const DISK = { bsize: 4096, blocks: 262_144, bavail: 131_072 }; // 1 GiB, half available

describe('system driver against fixture trees', () => {
  for (const name of fs.readdirSync(CASES)) {
    it(name, async () => {
      const root = path.join(CASES, name);
      const expected = JSON.parse(fs.readFileSync(path.join(root, 'expected.json'), 'utf8'));
      const { log, records } = memoryLog();
      const driver = createSystemDriver({ procfs: sysfsAt(path.join(root, 'proc')), log, stateDir: '/state', statfs: async () => DISK });
      const reading = await driver.read(new AbortController().signal);
      expect(reading).toEqual({ ...expected.reading, diskFreeMb: 512, diskTotalMb: 1024, diskFreePercent: 50 });
      const warned = records.filter((record) => record.level === 40).map((record) => path.basename(record.file));
      expect(warned.sort()).toEqual([...expected.problems].sort());
    });
  }

  it('reports a failing statfs once, and keeps the other values', async () => {
    const { log, records } = memoryLog();
    const driver = createSystemDriver({
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
