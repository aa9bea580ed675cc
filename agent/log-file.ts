import fs from 'node:fs';
import path from 'node:path';

/**
 * A log file rotated by size (`agent.log`, `agent.log.1` … `agent.log.{files-1}`), so that logs
 * never fill the flash. Lines are written synchronously: a crash loses no line, and a terminal's
 * log rate is far below what a synchronous append costs.
 */
export class RotatingFile {
  private fd: number | undefined;
  private size = 0;
  readonly file: string;

  constructor(
    readonly dir: string,
    private readonly maxBytes = 1024 * 1024,
    private readonly files = 5,
    name = 'agent.log',
  ) {
    this.file = path.join(dir, name);
    fs.mkdirSync(dir, { recursive: true, mode: 0o750 });
    this.open();
  }

  write(line: string): void {
    const bytes = Buffer.byteLength(line);
    if (this.size > 0 && this.size + bytes > this.maxBytes) this.rotate();
    if (this.fd === undefined) return;
    try {
      fs.writeSync(this.fd, line);
      this.size += bytes;
    } catch {
      // A full disk must not stop the agent; the stderr copy still reaches the journal.
    }
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  /** The files from oldest to newest, for the `logs` command. */
  paths(): string[] {
    const all = [];
    for (let index = this.files - 1; index >= 1; index--) all.push(`${this.file}.${index}`);
    all.push(this.file);
    return all.filter((file) => fs.existsSync(file));
  }

  private open(): void {
    try {
      this.fd = fs.openSync(this.file, 'a', 0o640);
      this.size = fs.fstatSync(this.fd).size;
    } catch {
      this.fd = undefined;
    }
  }

  private rotate(): void {
    this.close();
    try {
      for (let index = this.files - 1; index >= 1; index--) {
        const from = index === 1 ? this.file : `${this.file}.${index - 1}`;
        if (fs.existsSync(from)) fs.renameSync(from, `${this.file}.${index}`);
      }
    } catch {
      // keep writing to the current file rather than lose lines
    }
    this.open();
  }
}
