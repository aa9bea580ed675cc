import { createPrivateKey, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { parseCommandArgs } from '../basics/args.js';
import { AgentError, errorMessage } from '../basics/errors.js';
import { EXIT } from '../basics/exit.js';
import { OP_ARGS, type OpInput, type OpName } from '../protocol/command.js';
import { formatDiag, formatFaults, formatStatus, style, wantsColour, type Style } from './format.js';
import { keygen } from './keygen.js';
import { approveMerchant, confirmOnStdin } from './merchant-approve.js';
import { followLogs, printLogs } from './logs.js';
import { NoAnswer, TechSession, type Answer } from './session.js';
import { parseDuration, parseInstant } from './time.js';

/** `pos-agent tech …`: the technician's client (SPEC.md section 6). */

export const TECH_EXIT = { ...EXIT, REFUSED: 1, NO_ANSWER: 3 } as const;

const USAGE = `Usage: pos-agent tech <command> [options]

  keygen [--key FILE] [--kid NAME] [--force]   write an Ed25519 key pair; print the technicianKeys entry
  status <terminalId>                          readings of every device, faults, availability, outbox
  faults <terminalId> [--since T] [--limit N]  fault history (raises and clears)
  logs <terminalId> [--lines N] [--since T] [--until T] [--level L] [--grep TEXT] [--device D]
                    [--follow [--follow-for DURATION]]
  diag <terminalId> [--device D]               run the devices' self-tests now
  maintenance <terminalId> on|off [--reason TEXT] [--minutes N]
  loglevel <terminalId> <level> [--minutes N]  another log level for N minutes [15, at most 60]
  rebirth <terminalId>                         publish state and faults again
  merchant-approve <terminalId> [--yes]        show the merchant values the terminal reads, ask, and
                                               approve exactly those as its baseline

Connection (or the environment variables):
  --broker URL        POS_AGENT_TECH_BROKER   mqtt://, mqtts://, ws://, wss://
  --key FILE          POS_AGENT_TECH_KEY      your Ed25519 private key (PEM)
  --kid NAME          POS_AGENT_TECH_KID      its name in the terminals' technicianKeys
  --ca FILE           POS_AGENT_TECH_CA       CA certificate for mqtts://
  --topic-root ROOT   [pos/v1]
  --timeout DURATION  [15s] how long to wait for the terminal
  --json              JSON for scripts: one record per line for logs and faults

T is 1h / 30m / 2d ago, an ISO-8601 time, or epoch milliseconds.
Exit codes: 0 done, 1 the terminal refused the command or it failed, 2 bad usage,
3 no answer: the broker cannot be reached or the terminal did not answer within --timeout.`;

const OPTIONS = {
  broker: { type: 'string' },
  key: { type: 'string' },
  kid: { type: 'string' },
  ca: { type: 'string' },
  'topic-root': { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
  since: { type: 'string' },
  until: { type: 'string' },
  limit: { type: 'string' },
  lines: { type: 'string' },
  level: { type: 'string' },
  grep: { type: 'string' },
  device: { type: 'string' },
  follow: { type: 'boolean' },
  'follow-for': { type: 'string' },
  reason: { type: 'string' },
  minutes: { type: 'string' },
  force: { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseCommandArgs<typeof OPTIONS>>['values'];

const CONNECTION = ['broker', 'key', 'kid', 'ca', 'topic-root', 'timeout', 'json'];
/** The options each command takes besides the connection's. */
const COMMAND_OPTIONS: Record<string, string[]> = {
  keygen: ['key', 'kid', 'force', 'json'],
  status: CONNECTION,
  faults: [...CONNECTION, 'since', 'limit'],
  logs: [...CONNECTION, 'lines', 'since', 'until', 'level', 'grep', 'device', 'follow', 'follow-for'],
  diag: [...CONNECTION, 'device'],
  maintenance: [...CONNECTION, 'reason', 'minutes'],
  loglevel: [...CONNECTION, 'minutes'],
  rebirth: CONNECTION,
  'merchant-approve': [...CONNECTION, 'yes'],
};

export async function techCommand(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? EXIT.USAGE : EXIT.OK;
  }
  const allowed = COMMAND_OPTIONS[command];
  if (!allowed) throw new AgentError('USAGE', `tech: unknown command "${command}"\n\n${USAGE}`);
  const { values, positionals } = parseCommandArgs(rest, OPTIONS, true);
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.OK;
  }
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined && !allowed.includes(name)) throw new AgentError('USAGE', `tech ${command}: --${name} does not apply`);
  }
  if (command === 'keygen') return keygenCommand(values, positionals);

  const [terminalId, ...operands] = positionals;
  if (!terminalId || !/^[A-Za-z0-9_-]{1,64}$/.test(terminalId)) throw new AgentError('USAGE', `tech ${command}: give the terminal id (${command} <terminalId>)`);
  const op = command as OpName;
  // merchant-approve's args are the values the terminal shows, asked for first.
  const args = op === 'merchant-approve' ? (expectNoOperands(op, operands), {}) : opArgs(op, operands, values);
  const s = style(wantsColour(process.stdout));
  const timeoutMs = parseDuration(values.timeout ?? '15s', '--timeout');
  if (values.follow && values.until !== undefined) throw new AgentError('USAGE', 'tech logs: --follow and --until do not go together');
  if (values['follow-for'] !== undefined && !values.follow) throw new AgentError('USAGE', 'tech logs: --follow-for goes with --follow');
  const followMs = parseDuration(values['follow-for'] ?? '5m', '--follow-for');

  let session: TechSession;
  try {
    session = await openSession(terminalId, values, timeoutMs);
  } catch (error) {
    if (!(error instanceof NoAnswer)) throw error;
    process.stderr.write(`pos-agent tech: ${error.message}\n`);
    return TECH_EXIT.NO_ANSWER;
  }
  try {
    if (op === 'merchant-approve') {
      return await approveMerchant(session, terminalId, values.yes === true, { style: s, write: (text) => process.stdout.write(text), confirm: confirmOnStdin });
    }
    if (op === 'logs') {
      const out = { json: values.json === true, style: s, write: (text: string) => process.stdout.write(text) };
      const printed = await printLogs(session, terminalId, args as OpInput<'logs'>, out);
      if (printed.code !== EXIT.OK || !values.follow) return printed.code;
      return await followLogs(session, args as OpInput<'logs'>, printed.cursor, { ...out, forMs: followMs });
    }
    const answer = await session.request(op, args);
    return report(op as Exclude<OpName, 'logs'>, terminalId, answer, values.json === true, s);
  } catch (error) {
    if (error instanceof NoAnswer) {
      process.stderr.write(`pos-agent tech: ${error.message}\n`);
      return TECH_EXIT.NO_ANSWER;
    }
    throw error;
  } finally {
    await session.close();
  }
}

function keygenCommand(values: Values, positionals: string[]): number {
  if (positionals.length > 0) throw new AgentError('USAGE', 'tech keygen takes no operands');
  const key = values.key ?? process.env.POS_AGENT_TECH_KEY ?? 'pos-agent-tech.key';
  const kid = values.kid ?? process.env.POS_AGENT_TECH_KID ?? `${os.userInfo().username}@${os.hostname()}`;
  if (kid.length > 128) throw new AgentError('USAGE', '--kid: at most 128 characters');
  const { entry, publicFile } = keygen({ key, kid, force: values.force === true });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(entry)}\n`);
  } else {
    process.stdout.write(
      `private key: ${key} (keep it to yourself)\npublic key:  ${publicFile}\n\n` +
        `Add this entry to "technicianKeys" in each terminal's agent config, then send the agent SIGHUP (or restart it):\n` +
        `${JSON.stringify(entry, null, 2)}\n`,
    );
  }
  return EXIT.OK;
}

function expectNoOperands(op: OpName, operands: string[]): void {
  if (operands.length > 0) throw new AgentError('USAGE', `tech ${op} <terminalId> takes no other operands`);
}

/** The op's args from the command line, checked here so that a typo costs no round trip. */
function opArgs(op: OpName, operands: string[], values: Values): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  const number = (name: 'limit' | 'lines' | 'minutes') => {
    const text = values[name];
    if (text === undefined) return;
    if (!/^\d+(\.\d+)?$/.test(text)) throw new AgentError('USAGE', `--${name}: "${text}" is not a number`);
    args[name] = Number(text);
  };
  const expectOperands = (count: number, what: string) => {
    if (operands.length !== count) throw new AgentError('USAGE', `tech ${op} <terminalId>${what}`);
  };
  if (values.since !== undefined) args.since = parseInstant(values.since, '--since');
  if (values.until !== undefined) args.until = parseInstant(values.until, '--until');
  for (const name of ['level', 'grep', 'device', 'reason'] as const) if (values[name] !== undefined) args[name] = values[name];
  number('limit');
  number('lines');
  number('minutes');
  if (op === 'maintenance') {
    expectOperands(1, ' on|off');
    if (operands[0] !== 'on' && operands[0] !== 'off') throw new AgentError('USAGE', `tech maintenance: "${operands[0]}" is not on or off`);
    args.on = operands[0] === 'on';
  } else if (op === 'loglevel') {
    expectOperands(1, ' <level>');
    args.level = operands[0];
  } else {
    expectOperands(0, '');
  }
  const parsed = OP_ARGS[op].safeParse(args);
  if (!parsed.success) {
    throw new AgentError('USAGE', `tech ${op}: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'args'}: ${issue.message}`).join('; ')}`);
  }
  return args;
}

async function openSession(terminalId: string, values: Values, timeoutMs: number): Promise<TechSession> {
  const broker = values.broker ?? process.env.POS_AGENT_TECH_BROKER;
  const keyFile = values.key ?? process.env.POS_AGENT_TECH_KEY;
  const kid = values.kid ?? process.env.POS_AGENT_TECH_KID;
  const caFile = values.ca ?? process.env.POS_AGENT_TECH_CA;
  if (!broker) throw new AgentError('USAGE', 'no broker: --broker URL or POS_AGENT_TECH_BROKER');
  if (!keyFile) throw new AgentError('USAGE', 'no key: --key FILE or POS_AGENT_TECH_KEY (pos-agent tech keygen writes one)');
  if (!kid) throw new AgentError('USAGE', 'no kid: --kid NAME or POS_AGENT_TECH_KID (the name of your key in technicianKeys)');
  const key = readPrivateKey(keyFile);
  const ca = caFile ? readFile(caFile, '--ca') : undefined;
  const topicRoot = values['topic-root'] ?? 'pos/v1';
  return TechSession.open({ broker, ca, topicRoot, terminalId, key, kid, timeoutMs });
}

function readPrivateKey(file: string): KeyObject {
  const pem = readFile(file, '--key');
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    throw new AgentError('USAGE', `--key: ${file} is not a private key in PEM: ${errorMessage(error)}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new AgentError('USAGE', `--key: ${file} is a ${key.asymmetricKeyType} key, not Ed25519`);
  return key;
}

function readFile(file: string, option: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    throw new AgentError('USAGE', `${option}: cannot read ${file}: ${errorMessage(error)}`);
  }
}

/** The fields of the answers that the short messages below use. */
interface ReplyData {
  faults?: unknown[];
  pass?: boolean;
  level?: string;
  configured?: string;
  until?: number;
  on?: boolean;
  reason?: string;
}

function report(op: Exclude<OpName, 'logs'>, terminalId: string, answer: Answer, json: boolean, s: Style): number {
  if (!answer.ok) {
    process.stderr.write(`pos-agent tech: ${terminalId} refused ${op}: ${answer.code}: ${answer.message}\n`);
    return TECH_EXIT.REFUSED;
  }
  const data = answer.parts[0] as ReplyData;
  // A failed self-test is an answer, but not a healthy one: scripts see it in the exit code.
  const code = op === 'diag' && data.pass !== true ? TECH_EXIT.REFUSED : EXIT.OK;
  if (json) {
    const lines = op === 'faults' ? (data.faults ?? []) : [data];
    for (const line of lines) process.stdout.write(`${JSON.stringify(line)}\n`);
    return code;
  }
  const until = data.until !== undefined ? ` until ${new Date(data.until).toISOString()}` : '';
  const text: Record<Exclude<OpName, 'logs'>, () => string> = {
    status: () => formatStatus(data as Parameters<typeof formatStatus>[0], s),
    faults: () => formatFaults(data as Parameters<typeof formatFaults>[0], s),
    diag: () => formatDiag(data as Parameters<typeof formatDiag>[0], s),
    loglevel: () => `${terminalId}: log level ${data.level}${until}, then ${data.configured} again`,
    maintenance: () => (data.on ? `${terminalId}: maintenance on${data.reason ? ` (${data.reason})` : ''}${until}` : `${terminalId}: maintenance off`),
    rebirth: () => `${terminalId}: state and faults published again`,
    'merchant-approve': () => `${terminalId}: approved`,
  };
  process.stdout.write(`${text[op]()}\n`);
  return code;
}
