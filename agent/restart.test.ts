import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../test/helpers/log.js';
import { sysfsAt } from '../drivers/sysfs.js';
import { readBoots } from '../drivers/system/boots.js';
import { markCleanStop, recognizeStart } from './restart.js';

const BOOT_A = '0a1b2c3d-0000-4000-8000-000000000001';
const BOOT_B = '0a1b2c3d-0000-4000-8000-000000000002';

describe('how the agent came to start', () => {
  let dir: string;
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function terminal() {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'restart-'));
    const stateDir = path.join(dir, 'state');
    fs.mkdirSync(stateDir);
    const bootFile = path.join(dir, 'proc/sys/kernel/random/boot_id');
    fs.mkdirSync(path.dirname(bootFile), { recursive: true });
    const { log, records } = memoryLog();
    return {
      stateDir,
      records,
      boot: (content: string | undefined) => (content === undefined ? fs.rmSync(bootFile, { force: true }) : fs.writeFileSync(bootFile, content)),
      start: (now = 1_000) => recognizeStart(stateDir, sysfsAt(path.join(dir, 'proc')), now, log),
      stop: (bootId: string | undefined) => markCleanStop(stateDir, bootId, 2_000, log),
    };
  }

  it('first, clean, crash, reboot and power-loss from the clean-stop marker and the boot id', async () => {
    const t = terminal();
    t.boot(`${BOOT_A}\n`);
    expect(await t.start()).toEqual({ restart: 'first', bootId: BOOT_A });
    t.stop(BOOT_A);
    expect((await t.start()).restart).toBe('clean');
    // No stop this time: the marker was removed at the start.
    expect((await t.start()).restart).toBe('crash');
    t.stop(BOOT_A);
    t.boot(`${BOOT_B}\n`);
    expect((await t.start(5_000)).restart).toBe('reboot');
    t.boot(`${BOOT_A.toUpperCase()}\n`);
    expect((await t.start(9_000)).restart).toBe('power-loss');
    expect(readBoots(t.stateDir)).toEqual([
      { bootId: BOOT_A, at: 1_000, restart: 'first' },
      { bootId: BOOT_B, at: 5_000, restart: 'reboot' },
      { bootId: BOOT_A, at: 9_000, restart: 'power-loss' },
    ]);
  });

  it('a missing or garbage boot id is named in a warning, left out, and no boot is recorded', async () => {
    const t = terminal();
    t.boot(undefined);
    expect(await t.start()).toEqual({ restart: 'first', bootId: undefined });
    t.boot('garbage\n');
    t.stop(undefined);
    expect(await t.start()).toEqual({ restart: 'clean', bootId: undefined });
    const warnings = t.records.filter((record) => record.level === 40);
    expect(warnings.map((record) => record.file)).toEqual([path.join(dir, 'proc/sys/kernel/random/boot_id'), path.join(dir, 'proc/sys/kernel/random/boot_id')]);
    expect(warnings[0].msg).toMatch(/missing/);
    expect(warnings[1].msg).toMatch(/not a boot id/);
    expect(readBoots(t.stateDir)).toEqual([]);
  });

  it('a damaged boots file or marker is read as what it can say, never a crash', async () => {
    const t = terminal();
    t.boot(`${BOOT_A}\n`);
    fs.writeFileSync(path.join(t.stateDir, 'boots.json'), '{"torn');
    fs.writeFileSync(path.join(t.stateDir, 'clean-stop'), '{"boo');
    expect((await t.start()).restart).toBe('clean');
  });
});
