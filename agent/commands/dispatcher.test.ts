import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../test/helpers/log.js';
import { hs256, payload, rawToken, sign, technician } from '../../test/helpers/technician.js';
import { removeTempDirs, tempDir } from '../../sim/temp-dirs.js';
import type { SelfTest } from '../../drivers/types.js';
import type { ReplyMessage } from '../../protocol/messages.js';
import type { AgentStatus } from '../status.js';
import type { Clock, Timer } from '../../basics/clock.js';
import { FaultJournal } from '../fault-journal.js';
import { TemporaryLogLevel } from '../log-level.js';
import { CommandDispatcher } from './dispatcher.js';
import type { OpContext } from './ops.js';
import { ReplayCache } from './replay-cache.js';
import { TechnicianKeys } from './technician-keys.js';

afterAll(removeTempDirs);

const TERMINAL = 'T-000123';
const tech = technician('tech-1');
const stranger = technician('tech-1');

/** A clock that moves only when told; its timers fire as it passes them. */
function manualClock(start: number) {
  let now = start;
  let timers: { at: number; fn: () => void; id: number }[] = [];
  let next = 0;
  const clock: Clock = {
    now: () => now,
    monotonic: () => now,
    setTimeout: (fn, ms) => {
      const id = ++next;
      timers.push({ at: now + ms, fn, id });
      return id as unknown as Timer;
    },
    clearTimeout: (timer) => {
      timers = timers.filter((entry) => entry.id !== (timer as unknown as number));
    },
  };
  const advance = (ms: number) => {
    now += ms;
    const due = timers.filter((entry) => entry.at <= now);
    timers = timers.filter((entry) => entry.at > now);
    for (const entry of due) entry.fn();
  };
  return { clock, advance };
}

interface Setup {
  dispatcher: CommandDispatcher;
  replies: { message: ReplyMessage; correlationData?: Buffer }[];
  records: any[];
  maintenance: unknown[][];
  advance(ms: number): void;
  stateDir: string;
  send(token: string | Buffer, correlationData?: Buffer): Promise<ReplyMessage | undefined>;
  context: OpContext;
  clock: Clock;
}

let setup: Setup;
let diagGate: { release(): void } | undefined;

function create(stateDir = tempDir(), start = Date.now()): Setup {
  const { clock, advance } = manualClock(start);
  const { log, records } = memoryLog();
  const logDir = tempDir();
  const maintenance: unknown[][] = [];
  let seq = 0;
  const replies: Setup['replies'] = [];
  const context: OpContext = {
    devices: ['battery', 'system'],
    logDir,
    status: () => ({ terminalId: TERMINAL, availability: 'IN_SERVICE' }) as unknown as AgentStatus,
    selfTest: (device) =>
      new Promise<Partial<Record<'battery', SelfTest>>>((resolve, reject) => {
        if (device === 'system') return reject(new Error('self-test crashed'));
        diagGate = { release: () => resolve({ battery: { pass: true, detail: { percent: 87 } } }) };
      }),
    setMaintenance: async (...args) => {
      maintenance.push(args);
      return { on: args[0], reason: args[1] };
    },
    rebirth: () => {},
    journal: new FaultJournal(stateDir),
    logLevel: new TemporaryLogLevel('info', () => {}, clock, log),
    // The file holds mid M1 and tid T1; a check takes a turn of the event loop, as a fresh read does.
    merchant: {
      problem: async (values) => {
        await new Promise((resolve) => setImmediate(resolve));
        return values.mid === 'M1' && values.tid === 'T1' && values.mcc === null && values.name === null ? undefined : 'mid: the parameters file now holds "M1"';
      },
      approve: async (values, kid) => ({ approved: values, kid }),
    },
  };
  const dispatcher = new CommandDispatcher({
    terminalId: TERMINAL,
    keys: new TechnicianKeys([tech.entry]),
    replay: new ReplayCache(stateDir, clock, log),
    context,
    replies: { send: (_kind, build, correlationData) => (replies.push({ message: build(++seq), correlationData }), seq) },
    clock,
    log,
  });
  const send = async (token: string | Buffer, correlationData?: Buffer) => {
    const before = replies.length;
    await dispatcher.handle(Buffer.isBuffer(token) ? token : Buffer.from(token), correlationData);
    return replies.length > before ? replies.at(-1)!.message : undefined;
  };
  return { dispatcher, replies, records, maintenance, advance, stateDir, send, context, clock };
}

const now = () => setup.clock.now();
const body = (op: string, args: Record<string, unknown> = {}, change = {}) => payload(TERMINAL, op, args, change, now());
const errorOf = (reply: ReplyMessage | undefined) => (reply && !reply.ok ? reply.error.code : reply ? 'ok' : 'no reply');

beforeEach(() => {
  setup = create();
});
afterEach(() => setup.dispatcher.stop());

describe('command checks (SPEC.md section 6)', () => {
  /** Each refusal in its own second: refusals are answered at most once a second. */
  async function refusal(token: string | Buffer) {
    setup.advance(1_000);
    return setup.send(token);
  }

  it('refuses junk, oversized and malformed commands with BAD_REQUEST, echoing the id when it could be read', async () => {
    expect(await refusal('hello')).toMatchObject({ ok: false, id: null, error: { code: 'BAD_REQUEST' } });
    const big = Buffer.from(`${rawToken({ alg: 'EdDSA' }, { id: 'big' })}${'A'.repeat(16 * 1024)}`);
    expect(await refusal(big)).toMatchObject({ id: null, error: { code: 'BAD_REQUEST', message: expect.stringContaining('16384') } });
    expect(await refusal(`${Buffer.from('{"alg":"EdDSA"}').toString('base64url')}.${Buffer.from('not json').toString('base64url')}.AAAA`)).toMatchObject({
      id: null,
      error: { code: 'BAD_REQUEST', message: 'the payload is not a JSON object' },
    });
    const missing = rawToken({ alg: 'EdDSA', kid: tech.kid }, { id: 'cmd-1', op: 'status' }, 'AAAA');
    expect(await refusal(missing)).toMatchObject({ id: 'cmd-1', error: { code: 'BAD_REQUEST', message: expect.stringMatching(/aud.*iat.*exp|aud|iat/) } });
    const badArgs = await sign(tech, body('logs', { lines: 99_999 }));
    expect(await refusal(badArgs)).toMatchObject({ error: { code: 'BAD_REQUEST', message: expect.stringContaining('lines') } });
    const unknownArg = await sign(tech, body('status', { verbose: true }));
    expect(await refusal(unknownArg)).toMatchObject({ error: { code: 'BAD_REQUEST', message: 'verbose: not an argument of status' } });
    const absentDevice = await sign(tech, body('diag', { device: 'printer' }));
    expect(await refusal(absentDevice)).toMatchObject({ error: { code: 'BAD_REQUEST', message: 'printer is not configured on this terminal' } });
  });

  it('refuses what a technician did not sign with UNAUTHORIZED', async () => {
    const command = body('maintenance', { on: true });
    const forged = await sign(stranger, command);
    expect(await refusal(forged)).toMatchObject({ id: command.id, error: { code: 'UNAUTHORIZED', message: expect.stringContaining('signature') } });
    expect(errorOf(await refusal(rawToken({ alg: 'none', kid: tech.kid }, command)))).toBe('UNAUTHORIZED');
    expect(errorOf(await refusal(rawToken({ kid: tech.kid }, command, 'AAAA')))).toBe('UNAUTHORIZED');
    expect(errorOf(await refusal(await hs256(tech, command)))).toBe('UNAUTHORIZED');
    expect(await refusal(await sign(tech, command, 'tech-unknown'))).toMatchObject({ error: { code: 'UNAUTHORIZED', message: 'kid "tech-unknown" is not one of technicianKeys' } });
    const valid = (await sign(tech, command)).split('.');
    const tampered = `${valid[0]}.${Buffer.from(JSON.stringify({ ...command, args: { on: false } })).toString('base64url')}.${valid[2]}`;
    expect(errorOf(await refusal(tampered))).toBe('UNAUTHORIZED');
    const elsewhere = payload('T-999999', 'maintenance', { on: true }, {}, now());
    expect(await refusal(await sign(tech, elsewhere))).toMatchObject({ error: { code: 'UNAUTHORIZED', message: expect.stringContaining('aud') } });
    expect(setup.maintenance).toEqual([]);
  });

  it('refuses commands outside their time with EXPIRED', async () => {
    const s = Math.floor(now() / 1000);
    const expired = body('maintenance', { on: true }, { iat: s - 300, exp: s - 1 });
    expect(await refusal(await sign(tech, expired))).toMatchObject({ error: { code: 'EXPIRED', message: expect.stringContaining('exp passed') } });
    const future = body('maintenance', { on: true }, { iat: s + 120, exp: s + 300 });
    expect(await refusal(await sign(tech, future))).toMatchObject({ error: { code: 'EXPIRED', message: expect.stringContaining('future') } });
    const tooLong = body('maintenance', { on: true }, { iat: s, exp: s + 901 });
    expect(await refusal(await sign(tech, tooLong))).toMatchObject({ error: { code: 'EXPIRED', message: expect.stringContaining('at most 900') } });
    // Within the allowed skew and lifetime.
    const skewed = body('status', {}, { iat: s + 50, exp: s + 900 });
    expect((await refusal(await sign(tech, skewed)))?.ok).toBe(true);
    expect(setup.maintenance).toEqual([]);
  });

  it('refuses a command executed before with REPLAY, also after a restart, until its exp', async () => {
    const command = await sign(tech, body('maintenance', { on: true, reason: 'once' }));
    expect((await setup.send(command))?.ok).toBe(true);
    expect(await refusal(command)).toMatchObject({ error: { code: 'REPLAY' } });

    setup.dispatcher.stop();
    const restarted = create(setup.stateDir, now());
    expect(errorOf(await restarted.send(command))).toBe('REPLAY');
    restarted.dispatcher.stop();
    expect(setup.maintenance).toHaveLength(1);
    expect(fs.readdirSync(setup.stateDir)).toContain('command-ids.json');
  });

  it('does not use up the id of a refused command', async () => {
    const first = body('logs', { lines: 0 });
    expect(errorOf(await refusal(await sign(tech, first)))).toBe('BAD_REQUEST');
    const again = { ...first, args: { lines: 5 } };
    expect((await refusal(await sign(tech, again)))?.ok).toBe(true);
  });

  it('refuses an op it does not know with UNKNOWN_OP', async () => {
    expect(await refusal(await sign(tech, body('reboot')))).toMatchObject({ error: { code: 'UNKNOWN_OP', message: 'no op "reboot"' } });
  });

  it('decides by the first check that fails, in the contract order', async () => {
    const s = Math.floor(now() / 1000);
    // A bad signature wins over an expired, unknown op with bad args.
    const everything = body('reboot', { x: 1 }, { iat: s - 2_000, exp: s - 1_000 });
    expect(errorOf(await refusal(await sign(stranger, everything)))).toBe('UNAUTHORIZED');
    expect(errorOf(await refusal(await sign(tech, everything)))).toBe('EXPIRED');
    const known = await sign(tech, body('status'));
    await setup.send(known);
    // A replayed command with an unknown op is a replay.
    expect(errorOf(await refusal(known))).toBe('REPLAY');
    expect(errorOf(await refusal(await sign(tech, body('reboot', { x: 1 }))))).toBe('UNKNOWN_OP');
  });

  it('answers BUSY while a diag or logs command runs, and runs again after', async () => {
    const diag = setup.send(await sign(tech, body('diag', { device: 'battery' })));
    await new Promise((resolve) => setImmediate(resolve));
    expect(await refusal(await sign(tech, body('status')))).toMatchObject({ error: { code: 'BUSY', message: expect.stringContaining('diag') } });
    expect(errorOf(await refusal(await sign(tech, body('logs'))))).toBe('BUSY');
    diagGate!.release();
    expect(await diag).toMatchObject({ ok: true, data: { pass: true, devices: { battery: { pass: true } } }, part: 1, parts: 1 });
    expect((await refusal(await sign(tech, body('status'))))?.ok).toBe(true);
  });

  it('logs every refusal it answers', async () => {
    const command = body('maintenance', { on: true });
    await refusal(await sign(stranger, command));
    await refusal('junk');
    const refused = setup.records.filter((record) => /command refused/.test(record.msg));
    expect(refused).toMatchObject([
      { level: 40, id: command.id, code: 'UNAUTHORIZED', kid: 'tech-1', op: 'maintenance' },
      { level: 40, id: null, code: 'BAD_REQUEST' },
    ]);
  });
});

describe('refusal rate limit', () => {
  it('answers at most one refusal a second, drops and counts the rest, and still runs good commands', async () => {
    for (let i = 0; i < 500; i++) await setup.send(`junk ${i}`);
    expect(setup.replies).toHaveLength(1);
    const good = await setup.send(await sign(tech, body('status')));
    expect(good).toMatchObject({ ok: true, data: { terminalId: TERMINAL } });
    setup.advance(1_000);
    await setup.send('junk again');
    expect(setup.replies.map((reply) => errorOf(reply.message))).toEqual(['BAD_REQUEST', 'ok', 'BAD_REQUEST']);
    setup.advance(60_000);
    expect(setup.records.filter((record) => /command refused/.test(record.msg))).toHaveLength(2);
    expect(setup.records.find((record) => record.dropped !== undefined)).toMatchObject({ level: 40, dropped: 499 });
  });
});

describe('ops', () => {
  it('replies with the MQTT 5 correlation data of the request, seq, ts and the id', async () => {
    const command = body('status');
    const correlation = Buffer.from('corr-42');
    await setup.send(await sign(tech, command), correlation);
    const [reply] = setup.replies;
    expect(reply!.correlationData).toEqual(correlation);
    expect(reply!.message).toEqual({ seq: 1, ts: now(), id: command.id, ok: true, data: { terminalId: TERMINAL, availability: 'IN_SERVICE' }, part: 1, parts: 1 });
  });

  it('runs maintenance, loglevel, rebirth and faults with their defaults', async () => {
    expect(await setup.send(await sign(tech, body('maintenance', { on: true, reason: 'swap printer', minutes: 30 })))).toMatchObject({
      ok: true,
      data: { on: true, reason: 'swap printer' },
    });
    expect(setup.maintenance).toEqual([[true, 'swap printer', 30]]);
    const level = await setup.send(await sign(tech, body('loglevel', { level: 'debug' })));
    expect(level).toMatchObject({ ok: true, data: { level: 'debug', configured: 'info', until: now() + 15 * 60_000 } });
    expect(await setup.send(await sign(tech, body('rebirth')))).toMatchObject({ ok: true, data: { republished: ['state', 'faults'] } });
    expect(await setup.send(await sign(tech, body('faults')))).toMatchObject({ ok: true, data: { faults: [] } });
  });

  it('approves merchant values the file holds, with the key that signed, and refuses others with BAD_REQUEST without using up the id', async () => {
    const wrong = body('merchant-approve', { mid: 'M2', tid: 'T1' });
    expect(await setup.send(await sign(tech, wrong))).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: 'mid: the parameters file now holds "M1"' } });
    setup.advance(1_000);
    const right = { ...wrong, args: { mid: 'M1', tid: 'T1', name: null } };
    expect(await setup.send(await sign(tech, right))).toMatchObject({ ok: true, data: { approved: { mid: 'M1', tid: 'T1', mcc: null, name: null }, kid: tech.kid } });
  });

  it('runs one of two copies of a merchant-approve that arrive together: the other is a REPLAY', async () => {
    const token = await sign(tech, body('merchant-approve', { mid: 'M1', tid: 'T1' }));
    await Promise.all([setup.send(token), setup.send(token)]);
    expect(setup.replies.map((reply) => errorOf(reply.message)).sort()).toEqual(['REPLAY', 'ok']);
  });

  it('answers FAILED when an op fails, and frees the agent', async () => {
    expect(await setup.send(await sign(tech, body('diag', { device: 'system' })))).toMatchObject({ ok: false, error: { code: 'FAILED', message: 'self-test crashed' } });
    expect((await setup.send(await sign(tech, body('status'))))?.ok).toBe(true);
  });

  it('sends logs as parts of gzip JSON lines', async () => {
    const lines = Array.from({ length: 3_000 }, (_, i) =>
      JSON.stringify({ level: i % 2 ? 30 : 40, time: 1_700_000_000_000 + i, device: 'battery', msg: `line ${i} ${Math.random().toString(36).repeat(4)}` }),
    );
    fs.writeFileSync(path.join(setup.context.logDir, 'agent.log'), `${lines.join('\n')}\n`);
    const command = body('logs', { lines: 5_000, level: 'warn' });
    await setup.send(await sign(tech, command));
    const parts = setup.replies.map((reply) => reply.message);
    expect(parts.length).toBeGreaterThan(1);
    const records = parts.flatMap((part, index) => {
      if (!part.ok) throw new Error('refused');
      expect(part).toMatchObject({ id: command.id, part: index + 1, parts: parts.length });
      const data = part.data as { gz: string; records: number };
      expect(data.gz.length).toBeLessThanOrEqual(64 * 1024);
      const text = gunzipSync(Buffer.from(data.gz, 'base64')).toString().trim().split('\n');
      expect(text).toHaveLength(data.records);
      return text.map((line) => JSON.parse(line));
    });
    expect(records).toHaveLength(1_500);
    expect(records.every((record) => record.level === 40)).toBe(true);
    expect(records.at(-1).time).toBe(1_700_000_000_000 + 2_998);
  });
});
