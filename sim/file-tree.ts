import fs from 'node:fs';
import path from 'node:path';

/**
 * A folder standing in for `/sys` or `/proc`. Files are replaced atomically (write, rename), so
 * the agent never reads a half-written value: on a real terminal the kernel answers each read whole.
 */
export class FileTree {
  constructor(readonly root: string) {
    fs.mkdirSync(root, { recursive: true });
  }

  path(relative: string): string {
    return path.join(this.root, relative);
  }

  write(relative: string, content: string): void {
    const file = this.path(relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, content);
    fs.renameSync(tmp, file);
  }

  remove(relative: string): void {
    fs.rmSync(this.path(relative), { recursive: true, force: true });
  }

  exists(relative: string): boolean {
    return fs.existsSync(this.path(relative));
  }
}
