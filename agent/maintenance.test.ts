import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../basics/clock.js';
import { removeTempDirs, tempDir } from '../sim/temp-dirs.js';
import { canMountTmpfs } from '../test/helpers/capabilities.js';
import { memoryLog } from '../test/helpers/log.js';
import { mountTmpfs } from '../test/helpers/tmpfs.js';
import { Maintenance } from './maintenance.js';

const mountable = canMountTmpfs('the maintenance file on a full disk');
afterAll(() => removeTempDirs());

describe.skipIf(!mountable)('the maintenance file', () => {
  it('is written whole or not at all: a full disk does not leave a file that means maintenance forever', async () => {
    const dir = tempDir();
    const mounted = mountTmpfs(dir, 64 * 1024);
    try {
      const filler = path.join(dir, 'filler');
      const fd = fs.openSync(filler, 'w');
      try {
        for (;;) fs.writeSync(fd, Buffer.alloc(4096, 1));
      } catch (error) {
        expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
      } finally {
        fs.closeSync(fd);
      }
      const maintenance = new Maintenance(dir, systemClock, memoryLog().log);
      await maintenance.start();
      await expect(maintenance.set(true, 'upgrade', 5)).rejects.toMatchObject({ code: 'ENOSPC' });
      expect(fs.readdirSync(dir)).toEqual(['filler']);
      await maintenance.check();
      expect(maintenance.state.on).toBe(false);
      maintenance.stop();

      fs.rmSync(filler);
      const again = new Maintenance(dir, systemClock, memoryLog().log);
      await again.start();
      expect((await again.set(true, 'upgrade', 5)).on).toBe(true);
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'maintenance'), 'utf8')).reason).toBe('upgrade');
      again.stop();
    } finally {
      mounted.unmount();
    }
  });
});
