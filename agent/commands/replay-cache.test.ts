import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryLog } from '../../test/helpers/log.js';
import { removeTempDirs, tempDir } from '../../sim/temp-dirs.js';
import { systemClock, type Clock } from '../../basics/clock.js';
import { ReplayCache } from './replay-cache.js';

afterAll(removeTempDirs);

const at = (ms: number): Clock => ({ ...systemClock, now: () => ms });

describe('ReplayCache', () => {
  it('remembers an id across instances until a minute past its exp', () => {
    const dir = tempDir();
    const { log } = memoryLog();
    new ReplayCache(dir, at(1_000_000), log).remember('a', 1_100);
    expect(new ReplayCache(dir, at(1_100_000), log).has('a')).toBe(true);
    expect(new ReplayCache(dir, at(1_160_000), log).has('a')).toBe(true);
    expect(new ReplayCache(dir, at(1_161_000), log).has('a')).toBe(false);
    expect(new ReplayCache(dir, at(1_000_000), log).has('b')).toBe(false);
  });

  it('says so when its file cannot be read', () => {
    const dir = tempDir();
    const { log, records } = memoryLog();
    fs.writeFileSync(path.join(dir, 'command-ids.json'), '{not json');
    expect(new ReplayCache(dir, at(0), log).has('a')).toBe(false);
    expect(records[0]).toMatchObject({ level: 50, msg: expect.stringContaining('cannot be read') });
  });
});
