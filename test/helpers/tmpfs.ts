import { execFileSync } from 'node:child_process';
import { findTool } from './tools.js';

/**
 * A small tmpfs mounted over a folder, to fill a filesystem for real. Mounting needs root with
 * CAP_SYS_ADMIN; without it the tests that need one are skipped, and say so.
 */
export interface Mounted {
  unmount(): void;
}

export function mountTmpfs(dir: string, bytes: number): Mounted {
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0700`, 'tmpfs', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  return { unmount: () => execFileSync('umount', [dir], { stdio: ['ignore', 'ignore', 'pipe'] }) };
}

const warned = new Set<string>();

/** Whether this process may mount a tmpfs; says once that the tests needing one are skipped if not. */
export function canMountTmpfs(probeDir: string, what: string): boolean {
  try {
    if (!findTool('mount') || process.getuid?.() !== 0) throw new Error('not root');
    mountTmpfs(probeDir, 64 * 1024).unmount();
    return true;
  } catch (error) {
    if (!warned.has(what)) {
      warned.add(what);
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      process.stderr.write(`\n[pos-agent tests] SKIPPED: ${what} needs to mount a tmpfs (root with CAP_SYS_ADMIN): ${reason}\n`);
    }
    return false;
  }
}
