import fs from 'node:fs';
import path from 'node:path';

/**
 * External programs some tests need (socat for pseudo-terminals, mosquitto for MQTT 5 and TLS).
 * Missing ones skip those tests with a message that says so; with POS_AGENT_REQUIRE_TOOLS=1
 * (set by .ci/run) a missing one fails the run instead.
 */
const SEARCH = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];

export function findTool(name: string): string | undefined {
  for (const dir of SEARCH) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

const warned = new Set<string>();

/** The tool's path, or undefined after saying clearly that the tests needing it are skipped. */
export function requireTool(name: string, what: string): string | undefined {
  const found = findTool(name);
  if (found) return found;
  const message = `${name} is not installed: ${what} cannot run (apt-get install ${name === 'mosquitto' ? 'mosquitto' : name})`;
  if (process.env.POS_AGENT_REQUIRE_TOOLS === '1') throw new Error(`${message}; POS_AGENT_REQUIRE_TOOLS=1 makes it mandatory`);
  if (!warned.has(name)) {
    warned.add(name);
    process.stderr.write(`\n[pos-agent tests] SKIPPED: ${message}\n`);
  }
  return undefined;
}
