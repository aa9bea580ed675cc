import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { errnoCode } from '../basics/errors.js';

/**
 * Reads a sysfs or proc tree below a root (`/sys`, `/proc`, or a fixture folder in tests).
 * Absent is not broken: a file or folder that does not exist reads as undefined. Any other
 * failure (EINVAL from `carrier` on a downed interface, EIO, EACCES) throws with its errno code.
 */
export interface SysfsReader {
  readonly root: string;
  read(relativePath: string): Promise<string | undefined>;
  list(relativePath: string): Promise<string[] | undefined>;
  /**
   * Reads a small file (a `/proc/PID/stat` line, under 4 KiB) at once, into a buffer kept for it:
   * a thousand of them cost a few milliseconds, where a thousand promised reads cost tens.
   * Absent reads as undefined, like `read`.
   */
  readSmall?(relativePath: string): string | undefined;
  /** The absolute path, for log lines that must say which file. */
  where(relativePath: string): string;
}

const ABSENT = new Set(['ENOENT', 'ENOTDIR', 'ENODEV', 'ENXIO']);

const SMALL = Buffer.alloc(4096);

export function sysfsAt(root: string): SysfsReader {
  const where = (relativePath: string) => path.join(root, relativePath);
  return {
    root,
    where,
    async read(relativePath) {
      try {
        return (await fs.readFile(where(relativePath), 'utf8')).trim();
      } catch (error) {
        if (ABSENT.has(errnoCode(error) ?? '')) return undefined;
        throw error;
      }
    },
    readSmall(relativePath) {
      let fd: number;
      try {
        fd = fsSync.openSync(where(relativePath), 'r');
      } catch (error) {
        if (ABSENT.has(errnoCode(error) ?? '') || errnoCode(error) === 'ESRCH') return undefined;
        throw error;
      }
      try {
        const length = fsSync.readSync(fd, SMALL, 0, SMALL.length, 0);
        return SMALL.toString('utf8', 0, length).trim();
      } catch (error) {
        // A process that exits between open and read: its stat reads as ESRCH.
        if (errnoCode(error) === 'ESRCH') return undefined;
        throw error;
      } finally {
        fsSync.closeSync(fd);
      }
    },
    async list(relativePath) {
      try {
        return (await fs.readdir(where(relativePath))).sort();
      } catch (error) {
        if (ABSENT.has(errnoCode(error) ?? '')) return undefined;
        throw error;
      }
    },
  };
}
