import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Whether this machine lets the tests mount a tmpfs (root with CAP_SYS_ADMIN), which a real full
 * disk needs. Like a missing tool, a missing capability skips with a message, and fails the run
 * under POS_AGENT_REQUIRE_TOOLS=1.
 */
export function canMountTmpfs(what: string): boolean {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mount-check-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'pos-agent-check', dir], { stdio: 'pipe' });
    execFileSync('umount', [dir], { stdio: 'pipe' });
    return true;
  } catch {
    const message = `cannot mount a tmpfs here (needs root): ${what} cannot run`;
    if (process.env.POS_AGENT_REQUIRE_TOOLS === '1') throw new Error(`${message}; POS_AGENT_REQUIRE_TOOLS=1 makes it mandatory`);
    process.stderr.write(`\n[pos-agent tests] SKIPPED: ${message}\n`);
    return false;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
