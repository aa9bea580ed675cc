import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BASELINE_FILE } from '../drivers/merchant/baseline.js';
import { startBroker, type EmbeddedBroker } from '../sim/broker.js';
import { removeTempDirs } from '../sim/temp-dirs.js';
import { CLI, killAll, type AgentProcess } from './helpers/agent-process.js';
import type { Recorder } from './helpers/recorder.js';
import { commandedTerminal, type CommandedTerminal } from './helpers/tech-setup.js';

/**
 * The merchant identity guard end to end: the built agent reads the simulator's parameters file,
 * which the test changes under it; a back end sees the faults; the technician's client (built
 * too) approves through the real signature path.
 */

// Luhn-valid China UnionPay merchant numbers (MCC 5812 and 5411 in digits 8 to 11): a masker would take them for PANs.
const MID = '102310058120007';
const JUMPED_MID = '102310054110002';

let broker: EmbeddedBroker;
const recorders: Recorder[] = [];
beforeAll(async () => {
  broker = await startBroker();
});
afterEach(async () => {
  killAll();
  await Promise.all(recorders.splice(0).map((recorder) => recorder.close()));
});
afterAll(async () => {
  await broker.close();
  removeTempDirs();
});

async function setup(): Promise<CommandedTerminal> {
  const t = await commandedTerminal(broker.url, { change: (config) => (config.devices.merchant.pollSeconds = 0.2) });
  recorders.push(t.recorder);
  return t;
}

async function started(t: CommandedTerminal, after = Date.now()): Promise<AgentProcess> {
  const agent = t.start();
  await t.recorder.waitForJson('state', 'birth', (json) => json.online === true && json.ts >= after);
  return agent;
}

const fault = (t: CommandedTerminal, code: string, state: string, after = 0) =>
  t.recorder.waitForJson('fault', `${code} ${state}`, (json) => json.code === code && json.state === state && json.seq > after, 20_000);

async function waitForFile(file: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!fs.existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`no ${file} within 15 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The technician's client with a keyboard: stdin is a pipe the test types into. */
function interactiveClient(t: CommandedTerminal) {
  const child = spawn(process.execPath, [CLI, 'tech', 'merchant-approve', t.terminalId, '--broker', broker.url, '--key', t.keyFile, '--kid', t.tech.kid], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => stdout + stderr,
    exited,
    async prompted(): Promise<void> {
      const deadline = Date.now() + 20_000;
      while (!stdout.includes('[y/N]')) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no question from the client:\n${stdout}${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}

describe('merchant identity (SPEC.md section 10)', () => {
  it('keeps its baseline across a crash and a restart, catches a code jump, and a technician approves it', async () => {
    const t = await setup();
    let agent = await started(t);
    await waitForFile(path.join(t.terminal.stateDir, BASELINE_FILE));
    agent.kill('SIGKILL');
    await agent.waitExit();

    // While the agent is down, the merchant number and category jump: the restart must not trust them.
    t.terminal.apply({ merchant: { mid: JUMPED_MID, mcc: '5411' } });
    agent = await started(t);
    const raised = await fault(t, 'MERCHANT_CHANGED', 'raised');
    expect(raised.detail).toMatchObject({
      fields: ['mid', 'mcc'],
      changed: { mid: { baseline: MID, current: JUMPED_MID }, mcc: { baseline: '5812', current: '5411' } },
    });
    const unexpected = await fault(t, 'MERCHANT_MCC_UNEXPECTED', 'raised');
    expect(unexpected.detail).toMatchObject({ mcc: '5411', expectedMcc: ['5812'] });

    // A clean restart: still changed, the same fault, not raised again.
    agent.kill('SIGTERM');
    expect((await agent.waitExit()).code).toBe(0);
    const before = t.recorder.of('fault').length;
    agent = await started(t);
    await t.recorder.waitForJson('faults', 'snapshot after restart', (json) => json.active.some((f: any) => f.id === raised.id) && json.ts > raised.ts);

    const approval = await t.client('merchant-approve', '--yes');
    expect(approval.stderr).toBe('');
    expect(approval.code).toBe(0);
    expect(approval.stdout).toContain(JUMPED_MID);
    expect(approval.stdout).toMatch(/mcc\s+5411\s+5812 \(first-read/);
    const cleared = await fault(t, 'MERCHANT_CHANGED', 'cleared');
    expect(cleared.id).toBe(raised.id);
    expect(cleared.detail).toMatchObject({ approvedBy: t.tech.kid, values: { mid: JUMPED_MID, mcc: '5411' } });
    expect(t.recorder.of('fault').slice(before).filter((f) => f.state === 'raised' && f.code === 'MERCHANT_CHANGED')).toEqual([]);

    const status = await t.client('status', '--json');
    const merchant = JSON.parse(status.stdout).devices.merchant.reading;
    expect(merchant.values).toEqual({ mid: JUMPED_MID, tid: '00012345', mcc: '5411', name: 'Lao Wang Noodles' });
    expect(merchant.baseline.mid).toMatchObject({ value: JUMPED_MID, how: 'approved', kid: t.tech.kid });
    // The approved category is still not one this merchant may use: that fault is the config's to clear.
    expect(JSON.parse(status.stdout).faults.map((f: any) => f.code)).toEqual(['MERCHANT_MCC_UNEXPECTED']);
    await t.recorder.waitForJson('faults', 'approved', (json) => json.reasons.join() === 'MERCHANT_MCC_UNEXPECTED');
    const logged = agent.logLines().find((line) => line.msg === 'merchant values approved as the new baseline');
    expect(logged.merchant.baseline.mid.value).toBe(JUMPED_MID);
  });

  it('refuses an approval when the file changed between showing the values and approving them, and nothing changes', async () => {
    const t = await setup();
    const agent = await started(t);
    await waitForFile(path.join(t.terminal.stateDir, BASELINE_FILE));
    t.terminal.apply({ merchant: { name: 'Golden Dragon Supermarket' } });
    const raised = await fault(t, 'MERCHANT_CHANGED', 'raised');

    const client = interactiveClient(t);
    await client.prompted();
    expect(client.output()).toContain('Golden Dragon Supermarket');
    t.terminal.apply({ merchant: { name: 'Golden Dragon Supermarket 2' } });
    const baseline = fs.readFileSync(path.join(t.terminal.stateDir, BASELINE_FILE), 'utf8');
    client.child.stdin.end('y\n');
    expect(await client.exited).toBe(1);
    expect(client.output()).toMatch(/refused the approval: BAD_REQUEST: name: the parameters file now holds "Golden Dragon Supermarket 2", not "Golden Dragon Supermarket"/);
    expect(fs.readFileSync(path.join(t.terminal.stateDir, BASELINE_FILE), 'utf8')).toBe(baseline);
    expect(t.recorder.of('fault').filter((f) => f.id === raised.id && f.state === 'cleared')).toEqual([]);

    // Answering no sends nothing.
    const declined = interactiveClient(t);
    await declined.prompted();
    declined.child.stdin.end('n\n');
    expect(await declined.exited).toBe(1);
    expect(declined.output()).toContain('not approved: nothing was sent');
    expect(agent.logLines().filter((line) => /command merchant-approve accepted/.test(line.msg))).toEqual([]);
  });

  it('reads a huge file, binary garbage, a wrong type and a symlink elsewhere as unreadable: no crash, no false change', async () => {
    const t = await setup();
    const agent = await started(t);
    const file = t.terminal.merchant.file;
    await waitForFile(path.join(t.terminal.stateDir, BASELINE_FILE));
    const outside = path.join(t.terminal.dir, 'elsewhere.json');
    fs.copyFileSync(file, outside);
    const bad: [string, () => void, RegExp][] = [
      ['several megabytes', () => t.terminal.apply({ merchant: { raw: `{"pad":"${'x'.repeat(6 * 1024 * 1024)}"}` } }), /bytes; a parameters file is at most 65536/],
      ['binary garbage', () => t.terminal.apply({ merchant: { raw: '\u0000\u0001\u00ff ELF garbage' } }), /not UTF-8 text/],
      ['a wrong type', () => t.terminal.apply({ merchant: { raw: '{"merchant":{"mid":["102310058120007"],"tid":"00012345"}}' } }), /merchant\.mid is an array, not a string/],
      ['a symlink elsewhere', () => (fs.rmSync(file), fs.symlinkSync(outside, file)), /a symlink to .*elsewhere\.json, outside/],
    ];
    let after = 0;
    for (const [what, make, problem] of bad) {
      make();
      const raised = await fault(t, 'MERCHANT_PARAMS_UNREADABLE', 'raised', after);
      expect(raised.detail.problem, what).toMatch(problem);
      fs.rmSync(file, { force: true });
      t.terminal.apply({ merchant: { raw: null } });
      const cleared = await fault(t, 'MERCHANT_PARAMS_UNREADABLE', 'cleared', raised.seq);
      after = cleared.seq;
    }
    expect(t.recorder.of('fault').filter((f) => f.code === 'MERCHANT_CHANGED')).toEqual([]);
    expect(agent.child.exitCode).toBeNull();
    agent.kill('SIGTERM');
    expect((await agent.waitExit()).code).toBe(0);
  });
});
