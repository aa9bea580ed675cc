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
  /** The absolute path, for log lines that must say which file. */
  where(relativePath: string): string;
}

const ABSENT = new Set(['ENOENT', 'ENOTDIR', 'ENODEV', 'ENXIO']);

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
