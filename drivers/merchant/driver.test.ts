import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../basics/clock.js';
import { memoryLog } from '../../test/helpers/log.js';
import { BASELINE_FILE, BaselineStore } from './baseline.js';
import { createMerchantDriver, type MerchantConfig } from './driver.js';
import { MAX_PARAMS_BYTES, paramsFileAt } from './params-file.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

function folder(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'merchant-'));
  dirs.push(dir);
  return dir;
}

const MID = '102310058120007';
const signal = new AbortController().signal;

function setup(change: Partial<MerchantConfig> = {}) {
  const dir = folder();
  const stateDir = path.join(dir, 'state');
  fs.mkdirSync(stateDir);
  const file = path.join(dir, 'params.properties');
  const config: MerchantConfig = { file, format: 'properties', pollSeconds: 1, fields: { mid: 'mid', tid: 'tid', name: 'name' }, ...change };
  const write = (mid: string, tid = 'T0001', name = 'Noodles') => fs.writeFileSync(file, `mid=${mid}\ntid=${tid}\nname=${name}\n`);
  const { log, records } = memoryLog();
  const driver = () => createMerchantDriver(config, { source: paramsFileAt(file), store: new BaselineStore(stateDir, log), clock: systemClock, log });
  return { dir, stateDir, file, write, driver, records };
}

describe('the parameters file, read only and bounded', () => {
  it('reports a missing file, a folder, a FIFO and a file too big without reading it whole', async () => {
    const dir = folder();
    const read = (name: string) => paramsFileAt(path.join(dir, name)).read();
    expect(await read('none')).toEqual({ ok: false, problem: 'missing' });
    fs.mkdirSync(path.join(dir, 'folder'));
    expect(await read('folder')).toEqual({ ok: false, problem: 'not a regular file' });
    execFileSync('mkfifo', [path.join(dir, 'fifo')]);
    expect(await read('fifo')).toEqual({ ok: false, problem: 'not a regular file' });
    fs.writeFileSync(path.join(dir, 'big'), Buffer.alloc(5 * 1024 * 1024, 'x'));
    expect(await read('big')).toEqual({ ok: false, problem: `${5 * 1024 * 1024} bytes; a parameters file is at most ${MAX_PARAMS_BYTES}` });
  });

  it('follows a symlink to a file in the same folder, and no other', async () => {
    const dir = folder();
    const outside = folder();
    fs.writeFileSync(path.join(dir, 'params-v2.json'), '{}');
    fs.symlinkSync('params-v2.json', path.join(dir, 'current.json'));
    expect(await paramsFileAt(path.join(dir, 'current.json')).read()).toEqual({ ok: true, bytes: Buffer.from('{}') });
    fs.writeFileSync(path.join(outside, 'other.json'), '{}');
    fs.symlinkSync(path.join(outside, 'other.json'), path.join(dir, 'elsewhere.json'));
    fs.symlinkSync('/etc/shadow', path.join(dir, 'shadow.json'));
    const refused = await paramsFileAt(path.join(dir, 'elsewhere.json')).read();
    expect(refused).toEqual({ ok: false, problem: `a symlink to ${fs.realpathSync(outside)}/other.json, outside ${fs.realpathSync(dir)}; it is not followed` });
    expect(await paramsFileAt(path.join(dir, 'shadow.json')).read()).toMatchObject({ ok: false, problem: expect.stringMatching(/^a symlink to \/etc\/shadow, outside/) });
    fs.symlinkSync('gone.json', path.join(dir, 'dangling.json'));
    expect(await paramsFileAt(path.join(dir, 'dangling.json')).read()).toEqual({ ok: false, problem: 'missing' });
  });
});

describe('merchant driver and its baseline', () => {
  it('trusts the first values read, keeps them across a restart, and sees a change against them', async () => {
    const t = setup();
    t.write(MID);
    const first = await t.driver().read(signal);
    expect(first.values).toEqual({ mid: MID, tid: 'T0001', mcc: '5812', name: 'Noodles' });
    expect(first.baseline.mid).toMatchObject({ value: MID, how: 'first-read' });
    expect(first.changed).toEqual({});

    t.write('102310054110002', 'T0001', 'Supermarket');
    const again = await t.driver().read(signal); // a new driver: what a restart sees
    expect(again.baseline.mid).toMatchObject({ value: MID, how: 'first-read' });
    expect(again.changed).toEqual({
      mid: { baseline: MID, current: '102310054110002' },
      mcc: { baseline: '5812', current: '5411' },
      name: { baseline: 'Noodles', current: 'Supermarket' },
    });
  });

  it('holds provisioned values against the file, and an approval outlives a restart with the same config', async () => {
    const t = setup({ expected: { mcc: '5812' } });
    t.write('102310054110002');
    const driver = t.driver();
    const read = await driver.read(signal);
    expect(read.baseline.mcc).toMatchObject({ value: '5812', how: 'provisioned' });
    expect(read.baseline.mid).toMatchObject({ value: '102310054110002', how: 'first-read' });
    expect(read.changed).toEqual({ mcc: { baseline: '5812', current: '5411' } });

    const seen: unknown[] = [];
    driver.watch!((reading) => seen.push(reading));
    const values = { mid: '102310054110002', tid: 'T0001', mcc: '5411', name: 'Noodles' };
    expect(driver.approve({ ...values, mcc: '5812' }, 'tech-1')).toEqual({ ok: false, field: 'mcc', message: 'mcc: the parameters file now holds "5411", not "5812"' });
    expect(driver.approve({ ...values, name: null }, 'tech-1')).toMatchObject({ ok: false, field: 'name' });
    expect(seen).toEqual([]);
    expect(driver.approve(values, 'tech-1')).toEqual({ ok: true });
    expect(seen).toEqual([expect.objectContaining({ values, changed: {} })]);

    const restarted = await t.driver().read(signal);
    expect(restarted.baseline.mcc).toMatchObject({ value: '5411', how: 'approved', kid: 'tech-1' });
    expect(restarted.changed).toEqual({});
  });

  it('takes nothing on trust from a file it cannot use, and lets nothing be approved then', async () => {
    const t = setup();
    fs.writeFileSync(t.file, 'tid=T0001\n');
    const driver = t.driver();
    const read = await driver.read(signal);
    expect(read).toMatchObject({ problem: 'no mid (mid)', baseline: {} });
    expect(read.values).toBeUndefined();
    expect(fs.existsSync(path.join(t.stateDir, BASELINE_FILE))).toBe(false);
    expect(driver.approve({ mid: 'M', tid: 'T0001', mcc: null, name: null }, 'k')).toMatchObject({ ok: false });
    // One warning for the episode, not one per poll.
    await driver.read(signal);
    expect(t.records.filter((record) => record.level === 40)).toHaveLength(1);
  });

  it('keeps a corrupt baseline aside and takes the values again, with an error in the log', async () => {
    const t = setup();
    t.write(MID);
    fs.writeFileSync(path.join(t.stateDir, BASELINE_FILE), '{"fields": ');
    const read = await t.driver().read(signal);
    expect(read.baseline.mid).toMatchObject({ value: MID, how: 'first-read' });
    expect(fs.existsSync(path.join(t.stateDir, `${BASELINE_FILE}.corrupt`))).toBe(true);
    expect(t.records.some((record) => record.level === 50 && /corrupt/.test(record.msg))).toBe(true);
  });
});
