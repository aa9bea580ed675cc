import fs from 'node:fs';
import path from 'node:path';
import { AgentError, errnoCode } from '../basics/errors.js';

/**
 * Replaces a small file so that a crash or a power cut leaves either the old or the new content,
 * never a mix: write a temporary file, fsync it, rename it over the old one, fsync the folder.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp`;
  try {
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (error) {
    // A full disk must not leave half a file behind to be found, and to hold its blocks.
    fs.rmSync(tmp, { force: true });
    throw error;
  }
  fsyncDir(path.dirname(file));
}

export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads a JSON file written by writeFileAtomic; undefined when it is missing. */
export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AgentError('STATE_CORRUPT', `${file} is not valid JSON`, { cause: error });
  }
}

export function ensureDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/**
 * One agent per state folder (and so per terminal id): a second one would reuse sequence numbers.
 * A lock left by a process that no longer exists is taken over.
 */
export function acquireLock(stateDir: string): () => void {
  const file = path.join(stateDir, 'agent.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return () => {
        try {
          if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file);
        } catch {
          // already gone: nothing to release
        }
      };
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') throw error;
      const holder = Number.parseInt(fs.readFileSync(file, 'utf8'), 10);
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new AgentError('LOCKED', `another pos-agent (pid ${holder}) is running with state folder ${stateDir}`);
      }
      fs.unlinkSync(file);
    }
  }
  throw new AgentError('LOCKED', `cannot lock state folder ${stateDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) === 'EPERM';
  }
}
