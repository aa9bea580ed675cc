import { execFileSync } from 'node:child_process';

/**
 * A small tmpfs mounted over a folder, to fill a filesystem for real (root only: see
 * canMountTmpfs in capabilities.ts).
 */
export function mountTmpfs(dir: string, bytes: number): { unmount(): void } {
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0700`, 'pos-agent-test', dir], { stdio: 'pipe' });
  return { unmount: () => execFileSync('umount', [dir], { stdio: 'pipe' }) };
}
