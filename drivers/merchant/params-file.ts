import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { errnoCode, errorMessage } from '../../basics/errors.js';

/**
 * Reads the payment application's parameters file, read only and bounded:
 * - at most MAX_PARAMS_BYTES: a parameters file is a few hundred bytes, so a bigger one is not
 *   one (a log written to the wrong place, a disk image), and is not read into memory;
 * - a regular file only: a FIFO would block the poll, a device would never end;
 * - a symlink is followed only to a file in the same folder (where an application keeps its
 *   versions and switches between them). One that leads anywhere else is refused: the agent may
 *   read files that the payment application may not, so a planted link must not make it read
 *   them, and a merchant identity kept somewhere else is not the one this terminal was given.
 */

export const MAX_PARAMS_BYTES = 64 * 1024;

export type ParamsRead = { ok: true; bytes: Uint8Array } | { ok: false; problem: string };

export interface ParamsSource {
  readonly file: string;
  read(): Promise<ParamsRead>;
}

export function paramsFileAt(file: string, maxBytes = MAX_PARAMS_BYTES): ParamsSource {
  return {
    file,
    async read() {
      try {
        return await readBounded(file, maxBytes);
      } catch (error) {
        const code = errnoCode(error);
        if (code === 'ENOENT') return { ok: false, problem: 'missing' };
        if (code === 'EACCES' || code === 'EPERM') return { ok: false, problem: 'not readable by the agent (permission denied)' };
        if (code === 'ELOOP') return { ok: false, problem: 'a symlink that changed while it was read' };
        return { ok: false, problem: `cannot be read: ${errorMessage(error)}` };
      }
    },
  };
}

async function readBounded(file: string, maxBytes: number): Promise<ParamsRead> {
  let target = file;
  if ((await fs.lstat(file)).isSymbolicLink()) {
    target = await fs.realpath(file);
    const folder = await fs.realpath(path.dirname(file));
    if (path.dirname(target) !== folder) return { ok: false, problem: `a symlink to ${target}, outside ${folder}; it is not followed` };
  }
  // O_NOFOLLOW: a link put in its place since the check is not followed; O_NONBLOCK: nor does a FIFO hang the open.
  const handle = await fs.open(target, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return { ok: false, problem: 'not a regular file' };
    if (stat.size > maxBytes) return { ok: false, problem: `${stat.size} bytes; a parameters file is at most ${maxBytes}` };
    // Read one byte more than allowed: a file that grows while it is read is caught too.
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) return { ok: false, problem: `more than ${maxBytes} bytes; a parameters file is at most that` };
    }
    return { ok: true, bytes: buffer.subarray(0, length) };
  } finally {
    await handle.close();
  }
}
