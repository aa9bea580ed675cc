import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Imports run one way (STYLE.md, "The shape of the tree"): a folder imports only folders below it.
 * Tests may also use the simulator and the shared test helpers, which exist to be their doubles.
 */
const RANK: Record<string, number> = { protocol: 0, basics: 0, drivers: 1, agent: 2, sim: 3, tech: 3, bench: 4, cli: 5, test: 6 };
const TEST_ALSO = new Set(['sim', 'test']);
const ROOT = path.resolve(import.meta.dirname, '..');

function sources(dir: string, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) sources(full, out);
    else if (entry.name.endsWith('.ts')) out.push(full);
  }
  return out;
}

function folderOf(root: string, file: string): string {
  return path.relative(root, file).split(path.sep)[0]!;
}

/** Every relative module a file names, static or dynamic. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/(?:from\s+|import\s*\(\s*)'(\.{1,2}\/[^']+)'/g)) {
    found.push(path.resolve(path.dirname(file), match[1]!));
  }
  return found;
}

function violations(root: string): string[] {
  const problems: string[] = [];
  for (const folder of Object.keys(RANK)) {
    if (!fs.existsSync(path.join(root, folder))) continue;
    for (const file of sources(path.join(root, folder))) {
      const from = folderOf(root, file);
      const isTest = file.endsWith('.test.ts') || from === 'test';
      for (const target of importsOf(file)) {
        const to = folderOf(root, target);
        if (to === from || !(to in RANK)) continue;
        const allowed = RANK[to]! < RANK[from]! || (isTest && TEST_ALSO.has(to));
        if (!allowed) problems.push(`${path.relative(root, file)} imports ${path.relative(root, target)}`);
      }
    }
  }
  return problems;
}

describe('the import direction', () => {
  it('runs from protocol and the basics up to the entry point, never back', () => {
    expect(violations(ROOT)).toEqual([]);
  });

  it('names a driver that imports the daemon, and a test that uses the simulator is fine', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pos-agent-imports-'));
    try {
      fs.mkdirSync(path.join(root, 'drivers'));
      fs.writeFileSync(path.join(root, 'drivers', 'upward.ts'), "export { Agent } from '../agent/agent.js';\n");
      fs.writeFileSync(path.join(root, 'drivers', 'sim.test.ts'), "const sim = await import('../sim/printer.js');\n");
      expect(violations(root)).toEqual(['drivers/upward.ts imports agent/agent.js']);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
