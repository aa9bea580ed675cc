import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryLog } from '../../test/helpers/log.js';
import { sysfsAt } from '../sysfs.js';
import { createBatteryDriver } from './driver.js';

const CASES = path.join(import.meta.dirname, 'testcases');

describe('battery driver against fixture trees', () => {
  for (const name of fs.readdirSync(CASES)) {
    it(name, async () => {
      const root = path.join(CASES, name);
      const expected = JSON.parse(fs.readFileSync(path.join(root, 'expected.json'), 'utf8'));
      const { log, records } = memoryLog();
      const driver = createBatteryDriver({ pollSeconds: 30 }, { sysfs: sysfsAt(root), log });

      const reading = await driver.read(new AbortController().signal);
      expect(reading).toEqual(expected.reading);

      // Each rejected file is named in one warning, with its full path.
      const warned = records.filter((record) => record.level === 40).map((record) => path.basename(record.file));
      expect(warned.sort()).toEqual([...expected.problems].sort());
      for (const record of records.filter((r) => r.level === 40)) expect(record.file.startsWith(root)).toBe(true);

      // A second poll of the same garbage does not log again.
      await driver.read(new AbortController().signal);
      expect(records.filter((record) => record.level === 40)).toHaveLength(expected.problems.length);
    });
  }

  it('uses the supplies the config names over discovery', async () => {
    const root = path.join(CASES, 'healthy');
    const { log } = memoryLog();
    const driver = createBatteryDriver({ pollSeconds: 30, mains: 'usb' }, { sysfs: sysfsAt(root), log });
    const reading = await driver.read(new AbortController().signal);
    expect(reading.mains).toBe('usb');
    expect(reading.mainsOnline).toBe(true);
    expect(reading.supply).toBe('BAT0');
  });

  it('reports a battery whose folder disappears as not present, and finds it again', async () => {
    const root = fs.mkdtempSync(path.join(import.meta.dirname, '.tmp-'));
    try {
      fs.cpSync(path.join(CASES, 'healthy'), root, { recursive: true });
      const { log } = memoryLog();
      const driver = createBatteryDriver({ pollSeconds: 30 }, { sysfs: sysfsAt(root), log });
      const signal = new AbortController().signal;
      expect((await driver.read(signal)).present).toBe(true);

      fs.rmSync(path.join(root, 'class/power_supply/BAT0'), { recursive: true });
      expect(await driver.read(signal)).toEqual({ present: false, mains: 'AC', mainsOnline: false });

      // Back under another name, as a hot-swapped pack can be.
      fs.cpSync(path.join(CASES, 'healthy/class/power_supply/BAT0'), path.join(root, 'class/power_supply/BAT1'), { recursive: true });
      const back = await driver.read(signal);
      expect(back.present).toBe(true);
      expect(back.supply).toBe('BAT1');
      expect(back.percent).toBe(87);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('does not throw when the whole power_supply class is missing', async () => {
    const { log } = memoryLog();
    const driver = createBatteryDriver({ pollSeconds: 30 }, { sysfs: sysfsAt('/nonexistent/sysfs'), log });
    expect(await driver.read(new AbortController().signal)).toEqual({ present: false });
  });
});
