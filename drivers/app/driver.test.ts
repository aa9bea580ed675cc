import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../test/helpers/log.js';
import { resolveThresholds } from '../thresholds.js';
import { sysfsAt } from '../sysfs.js';
import type { Clock } from '../../basics/clock.js';
import { parseStat } from './codec.js';
import { createAppDriver, type WatchedProcessConfig } from './driver.js';
import { APP_THRESHOLDS, appRules } from './faults.js';

const CASES = path.join(import.meta.dirname, 'testcases');
const signal = new AbortController().signal;

function fakeClock(start = 1_000_000): Clock & { advance(ms: number): void } {
  let now = start;
  return { now: () => now, monotonic: () => now, setTimeout: () => undefined as never, clearTimeout: () => {}, advance: (ms) => (now += ms) };
}

describe('app driver against fixture trees', () => {
  for (const name of fs.readdirSync(CASES)) {
    it(name, async () => {
      const root = path.join(CASES, name);
      const expected = JSON.parse(fs.readFileSync(path.join(root, 'expected.json'), 'utf8'));
      const { log, records } = memoryLog();
      const driver = createAppDriver({ processes: expected.config, pollSeconds: 10 }, { procfs: sysfsAt(path.join(root, 'proc')), log, clock: fakeClock() });
      expect(await driver.read(signal)).toEqual(expected.reading);
      const warned = () => records.filter((record) => record.level === 40);
      expect(warned().map((record) => path.relative(path.join(root, 'proc'), record.file)).sort()).toEqual([...expected.problems].sort());
      // The same garbage on the next poll is not logged again.
      await driver.read(signal);
      expect(warned()).toHaveLength(expected.problems.length);
    });
  }

  it('names a process that vanished between the listing and the read in a debug line, and does not count it', async () => {
    const root = path.join(CASES, 'odd-entries/proc');
    const { log, records } = memoryLog();
    const driver = createAppDriver({ processes: [{ name: 'payment', comm: 'payapp', minCount: 1 }], pollSeconds: 10 }, { procfs: sysfsAt(root), log, clock: fakeClock() });
    await driver.read(signal);
    const line = records.find((record) => record.file === path.join(root, '4242/stat'));
    expect(line?.msg).toMatch(/4242\/stat vanished between listing and reading/);
  });
});

describe('app starts and faults', () => {
  let dir: string | undefined;
  afterEach(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  function tree() {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'app-'));
    fs.writeFileSync(path.join(dir, 'stat'), 'btime 1795000000\n');
    return {
      start(pid: number, startTicks: number) {
        fs.mkdirSync(path.join(dir!, String(pid)));
        fs.writeFileSync(path.join(dir!, `${pid}/stat`), `${pid} (payapp) S 1 1 1 0 -1 0 0 0 0 0 10 5 0 0 20 0 1 0 ${startTicks} 1000 100\n`);
      },
      kill(pid: number) {
        fs.rmSync(path.join(dir!, String(pid)), { recursive: true });
      },
    };
  }

  it('counts each new pid or start time as a start, raises a crash loop at the third in 10 minutes and clears 10 minutes after the last', async () => {
    const procs = tree();
    const clock = fakeClock();
    const config: WatchedProcessConfig[] = [{ name: 'payment', comm: 'payapp', minCount: 1 }];
    const driver = createAppDriver({ processes: config, pollSeconds: 10 }, { procfs: sysfsAt(dir!), log: memoryLog().log, clock });
    const [down, loop] = appRules(resolveThresholds(APP_THRESHOLDS, {}));
    const sample = async () => ({ ok: true as const, at: clock.now(), reading: await driver.read(signal) });

    procs.start(100, 500);
    let s = await sample();
    expect(s.reading.processes[0]!.restarts).toBe(0); // running before the agent: not a start
    expect(loop!.assess(s)?.holds).toBe(false);
    expect(down!.assess(s)?.holds).toBe(false);

    for (const [pid, ticks] of [[101, 900], [102, 1300]] as const) {
      procs.kill(pid - 1);
      clock.advance(10_000);
      s = await sample();
      expect(down!.assess(s)).toMatchObject({ holds: true, detail: { processes: [{ name: 'payment', count: 0, minCount: 1 }] } });
      procs.start(pid, ticks);
      clock.advance(60_000);
      s = await sample();
      expect(loop!.assess(s)).toBeUndefined(); // restarting, not yet a loop
    }
    // The same pid with another start time is a new process too (pid reuse after a crash).
    procs.kill(102);
    procs.start(102, 2000);
    clock.advance(60_000);
    s = await sample();
    expect(s.reading.processes[0]!.restarts).toBe(3);
    expect(loop!.assess(s)).toMatchObject({ holds: true, detail: { processes: [{ name: 'payment', starts: 3, restarts: 3 }] } });

    clock.advance(599_000);
    expect(loop!.assess(await sample())).toBeUndefined();
    clock.advance(2_000);
    expect(loop!.assess(await sample())?.holds).toBe(false);
  });

  it('counts the crash-loop window on the monotonic clock: wall-clock steps neither hide nor invent a loop', async () => {
    const procs = tree();
    // The wall clock and the monotonic clock move apart: `step` moves the wall clock alone.
    let wall = 1_795_000_000_000;
    let monotonic = 5_000;
    const clock: Clock = { now: () => wall, monotonic: () => monotonic, setTimeout: () => undefined as never, clearTimeout: () => {} };
    const pass = (ms: number) => ((wall += ms), (monotonic += ms));
    const step = (ms: number) => (wall += ms);
    const driver = createAppDriver({ processes: [{ name: 'payment', comm: 'payapp', minCount: 1 }], pollSeconds: 10 }, { procfs: sysfsAt(dir!), log: memoryLog().log, clock });
    const [, loop] = appRules(resolveThresholds(APP_THRESHOLDS, {}));
    const sample = async () => ({ ok: true as const, at: clock.now(), reading: await driver.read(signal) });

    procs.start(100, 500);
    procs.start(200, 600);
    let s = await sample();
    expect(s.reading.processes[0]!.restarts).toBe(0); // both running at the first poll: not starts
    expect(loop!.assess(s)?.holds).toBe(false);

    // Three starts 4 monotonic minutes apart; the wall clock goes back an hour, then forward a day.
    const starts: [pid: number, ticks: number, wallStep: number][] = [[101, 900, -3_600_000], [102, 1300, 86_400_000], [103, 1700, 0]];
    for (const [i, [pid, ticks, wallStep]] of starts.entries()) {
      procs.kill(pid - 1);
      procs.start(pid, ticks);
      pass(240_000);
      step(wallStep);
      s = await sample();
      expect(s.reading.processes[0]!.restarts).toBe(i + 1);
      if (i < 2) expect(loop!.assess(s)).toBeUndefined(); // restarting, not yet a loop
    }
    expect(s.reading.processes[0]!.startAgesMs).toEqual([480_000, 240_000, 0]);
    expect(loop!.assess(s)).toMatchObject({ holds: true, detail: { processes: [{ name: 'payment', starts: 3, restarts: 3 }] } });

    // A day forward on the wall clock alone neither clears it nor drops the starts it counts.
    step(86_400_000);
    pass(10_000);
    s = await sample();
    expect(s.reading.processes[0]!.startAgesMs).toHaveLength(3);
    expect(loop!.assess(s)?.holds).toBe(true);

    // An hour back does not keep it either: it clears 10 monotonic minutes after the last start.
    step(-3_600_000);
    pass(589_000);
    expect(loop!.assess(await sample())).toBeUndefined();
    pass(1_000);
    expect(loop!.assess(await sample())?.holds).toBe(false);
  });

  it('a poll that cannot list the processes neither raises nor clears', async () => {
    const clock = fakeClock();
    const driver = createAppDriver({ processes: [{ name: 'payment', minCount: 1 }], pollSeconds: 10 }, { procfs: sysfsAt('/nonexistent-proc'), log: memoryLog().log, clock });
    await expect(driver.read(signal)).rejects.toThrow(/does not exist/);
    const [down, loop] = appRules(resolveThresholds(APP_THRESHOLDS, {}));
    const failed = { ok: false as const, at: 0, error: new Error('x') };
    expect(down!.assess(failed)).toBeUndefined();
    expect(loop!.assess(failed)).toBeUndefined();
  });
});

describe('stat lines', () => {
  it('takes the command name from the first ( to the last ), spaces and parentheses included', () => {
    const line = '42 (a) (b c)) R 1 1 1 0 -1 0 0 0 0 0 7 3 0 0 20 0 1 0 99 1 1';
    expect(parseStat(line)).toEqual({ value: { comm: 'a) (b c)', startTicks: 99, cpuTicks: 10 } });
  });
});
