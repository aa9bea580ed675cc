import fs from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { errnoCode } from '../../basics/errors.js';
import { fsyncDir } from '../files.js';

/**
 * The highest seq of a message that left the terminal without its record on disk: a full disk
 * keeps messages in memory and sends them from there, and a crash or a restart after that must not
 * hand their seqs out again (SPEC.md section 4: never reused). Records carry every other seq.
 *
 * The file is made once, while there is room, and then only overwritten in place, which needs no
 * new block on a full filesystem. It has two 16-byte slots written in turn, each
 * `f64 LE seq | u32 LE crc32 of the seq | 4 zero bytes`, so a write torn by a power cut leaves the
 * other slot, and reading takes the higher valid one.
 */

const FILE = 'sent-seq';
const SLOT = 16;

export class SeqGuard {
  private readonly file: string;
  private fd: number | undefined;
  private slot = 0;
  private saved = 0;
  private dirSynced = true;

  constructor(dir: string) {
    this.file = path.join(dir, FILE);
  }

  /** The seq saved before; 0 when there is none. Creates the file when there is room. */
  open(): number {
    let data = Buffer.alloc(0);
    try {
      data = fs.readFileSync(this.file);
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error;
    }
    for (let slot = 0; slot < 2; slot++) {
      if (data.length < (slot + 1) * SLOT) continue;
      const seq = data.readDoubleLE(slot * SLOT);
      if (Number.isSafeInteger(seq) && seq > 0 && crc32(data.subarray(slot * SLOT, slot * SLOT + 8)) === data.readUInt32LE(slot * SLOT + 8) && seq > this.saved) {
        this.saved = seq;
        this.slot = 1 - slot;
      }
    }
    // Made now, while there is room; synced with its folder only when a seq is first saved.
    if (data.length < 2 * SLOT) {
      fs.writeFileSync(this.file, Buffer.concat([slotBytes(this.saved), slotBytes(this.saved)]), { mode: 0o600 });
      this.dirSynced = false;
    }
    this.fd = fs.openSync(this.file, 'r+');
    return this.saved;
  }

  /** Saves `seq` (when higher than the last saved) before it returns; throws when it cannot. */
  save(seq: number): void {
    if (seq <= this.saved) return;
    if (this.fd === undefined) throw new Error(`${this.file} could not be created`);
    fs.writeSync(this.fd, slotBytes(seq), 0, SLOT, this.slot * SLOT);
    fs.fdatasyncSync(this.fd);
    if (!this.dirSynced) {
      fsyncDir(path.dirname(this.file));
      this.dirSynced = true;
    }
    this.saved = seq;
    this.slot = 1 - this.slot;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

function slotBytes(seq: number): Buffer {
  const bytes = Buffer.alloc(SLOT);
  bytes.writeDoubleLE(seq, 0);
  bytes.writeUInt32LE(crc32(bytes.subarray(0, 8)), 8);
  return bytes;
}
