import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseCommandArgs } from '../basics/args.js';
import { systemClock } from '../basics/clock.js';
import { AgentError } from '../basics/errors.js';
import { EXIT } from '../basics/exit.js';
import { isFaultCode } from '../protocol/faults.js';
import { sendControl, serveControl, type ControlAnswer, type ControlRequest } from './control.js';
import { INJECTIONS, NOT_INJECTABLE } from './injections.js';
import { ScenarioRunner, scenarioSchema, type Scenario } from './scenario.js';
import { SERIAL_DEVICES, SimTerminal, type SerialDevice, type TerminalChange } from './terminal.js';

/**
 * `pos-agent sim`: the hardware simulator on its own, for an agent run from another shell; and
 * `pos-agent sim inject|clear|set|unplug|plug|status`, which tell a running simulator what to do;
 * with `--terminals N`, fleet mode (sim/fleet.ts).
 */

const CLIENT_ACTIONS = new Set(['inject', 'clear', 'set', 'unplug', 'plug', 'status']);

export const DEFAULT_SIM_DIR = path.join(os.tmpdir(), 'pos-agent-sim');

export async function simCommand(args: string[]): Promise<number> {
  if (args[0] !== undefined && CLIENT_ACTIONS.has(args[0])) return controlCommand(args);
  if (args.some((arg) => arg === '--terminals' || arg.startsWith('--terminals='))) return (await import('./fleet.js')).fleetCommand(args);
  return serveCommand(args);
}

async function serveCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, {
    dir: { type: 'string' },
    'config-out': { type: 'string' },
    scenario: { type: 'string' },
    broker: { type: 'string' },
    'terminal-id': { type: 'string' },
    protocol: { type: 'string' },
    'no-serial': { type: 'boolean' },
    'state-size': { type: 'string' },
  });
  const dir = path.resolve(values.dir ?? DEFAULT_SIM_DIR);
  const socketPath = path.join(dir, 'control.sock');
  if (await isRunning(socketPath)) throw new AgentError('USAGE', `a simulator is already running in ${dir}; give another --dir`);
  const scenario = values.scenario ? loadScenario(values.scenario) : undefined;
  const protocolVersion = values.protocol === undefined ? 5 : Number(values.protocol);
  if (protocolVersion !== 4 && protocolVersion !== 5) throw new AgentError('USAGE', '--protocol is 4 (MQTT 3.1.1) or 5');

  const socat = values['no-serial'] ? undefined : findSocat();
  fs.mkdirSync(dir, { recursive: true });
  const unmount = values['state-size'] ? mountStateTmpfs(path.join(dir, 'state'), values['state-size']) : undefined;
  const terminal = new SimTerminal(dir);
  if (socat) await terminal.attachDevices({ kind: 'pty', socat });
  await terminal.attachCertificate();
  const configFile = path.resolve(values['config-out'] ?? path.join(dir, 'agent.json'));
  const config = terminal.agentConfig({
    brokerUrl: values.broker ?? 'mqtt://127.0.0.1:1883',
    terminalId: values['terminal-id'] ?? 'SIM-0001',
    protocolVersion,
    heartbeatSeconds: 15,
    batteryPollSeconds: 2,
    systemPollSeconds: 10,
    serialPollSeconds: 2,
    networkPollSeconds: 5,
  });
  fs.writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);

  const server = await serveControl(socketPath, async (request) => handleControl(terminal, request));
  const out = process.stdout;
  const devices = config.devices as Record<string, { path?: string; modem?: { path: string }; probe?: { port: number } }>;
  out.write(
    [
      `Simulated terminal ${String(config.terminalId)} in ${dir}`,
      `  battery, system, network: sysfs and proc trees in ${terminal.sys.root} and ${terminal.proc.root}`,
      ...(socat
        ? [
            `  printer:     ${devices.printer!.path} (pseudo-terminal, ESC/POS)`,
            `  card reader: ${devices.cardReader!.path} (pseudo-terminal, STX/ETX/LRC)`,
            `  modem:       ${devices.network!.modem!.path} (pseudo-terminal, AT commands)`,
            `  acquirer:    127.0.0.1:${devices.network!.probe!.port} (TCP probe host)`,
          ]
        : ['  no serial devices (--no-serial)']),
      `Agent config: ${configFile} (broker ${values.broker ?? 'mqtt://127.0.0.1:1883'})`,
      `  run the agent:    pos-agent run --config ${configFile}`,
      `  make a fault:     pos-agent sim inject BATTERY_LOW${values.dir ? ` --dir ${dir}` : ''}`,
      `  take it away:     pos-agent sim clear BATTERY_LOW${values.dir ? ` --dir ${dir}` : ''}`,
      `  set any value:    pos-agent sim set battery.temperatureC=57${values.dir ? ` --dir ${dir}` : ''}`,
      'Ctrl-C stops the simulator.',
      '',
    ].join('\n'),
  );

  let runner: ScenarioRunner | undefined;
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      runner?.stop();
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  if (scenario) {
    runner = new ScenarioRunner(
      terminal,
      scenario,
      systemClock,
      (step, at) => out.write(`t+${at.toFixed(1)}s ${step.note ?? JSON.stringify(step.set ?? step.ramp)}\n`),
      (error) => out.write(`scenario step failed: ${error.message}\n`),
    );
    void runner.run().then(() => out.write(`scenario "${scenario.name}" done; the simulator keeps running\n`));
  }
  await stopped;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  fs.rmSync(socketPath, { force: true });
  await terminal.close();
  unmount?.();
  return EXIT.OK;
}

function findSocat(): string {
  for (const dir of [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/usr/local/bin']) {
    const candidate = path.join(dir, 'socat');
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new AgentError(
    'USAGE',
    'the simulated printer, card reader and modem sit on pseudo-terminals made by socat, which is not installed ' +
      '(apt-get install socat); --no-serial runs the simulator without them',
  );
}

/** A small filesystem for the state folder, so that SYS_DISK_LOW can be made real (root only). */
function mountStateTmpfs(stateDir: string, sizeMiB: string): () => void {
  const size = Number(sizeMiB);
  if (!Number.isInteger(size) || size < 8 || size > 1024) throw new AgentError('USAGE', '--state-size is MiB, 8 to 1024');
  fs.mkdirSync(stateDir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}m,mode=0700`, 'pos-agent-sim', stateDir], { stdio: 'pipe' });
  } catch (error) {
    const reason = (error as { stderr?: Buffer }).stderr?.toString().trim() || (error as Error).message;
    throw new AgentError('USAGE', `cannot mount a ${size} MiB tmpfs on ${stateDir} (it needs root): ${reason}`);
  }
  return () => {
    try {
      execFileSync('umount', [stateDir], { stdio: 'pipe' });
    } catch {
      // still busy: the next start mounts over it
    }
  };
}

async function handleControl(terminal: SimTerminal, request: ControlRequest): Promise<ControlAnswer> {
  switch (request.action) {
    case 'inject':
    case 'clear': {
      if (!isFaultCode(request.code)) return { ok: false, error: `unknown fault code ${request.code}` };
      const injection = INJECTIONS[request.code];
      if (!injection) return { ok: false, error: `${request.code} cannot be made on this simulator${NOT_INJECTABLE[request.code] ? `: it is ${NOT_INJECTABLE[request.code]}` : ''}` };
      await terminal.apply(request.action === 'inject' ? injection.inject : injection.clear);
      return { ok: true, done: `${request.action === 'inject' ? 'injected' : 'cleared'} ${request.code} (${injection.how})` };
    }
    case 'set':
      await terminal.apply({ [request.device]: { [request.field]: request.value } } as TerminalChange);
      return { ok: true, done: `${request.device}.${request.field} = ${JSON.stringify(request.value)}` };
    case 'unplug':
    case 'plug': {
      if (!(SERIAL_DEVICES as readonly string[]).includes(request.device)) {
        return { ok: false, error: `only ${SERIAL_DEVICES.join(', ')} can be unplugged` };
      }
      await terminal[request.action](request.device as SerialDevice);
      return { ok: true, done: `${request.device} ${request.action === 'unplug' ? 'unplugged: its tty is gone' : 'plugged back in'}` };
    }
    case 'status':
      return { ok: true, done: 'state', state: terminal.state() };
    default:
      return { ok: false, error: `unknown action ${(request as { action: string }).action}` };
  }
}

async function controlCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { dir: { type: 'string' } }, true);
  const [action, ...rest] = positionals;
  const socketPath = path.join(path.resolve(values.dir ?? DEFAULT_SIM_DIR), 'control.sock');
  const requests: ControlRequest[] = [];
  if (action === 'inject' || action === 'clear') {
    if (rest.length === 0) throw new AgentError('USAGE', `usage: pos-agent sim ${action} FAULT_CODE… [--dir DIR]`);
    for (const code of rest) {
      if (!isFaultCode(code)) throw new AgentError('USAGE', `${code} is not a fault code`);
      requests.push({ action, code });
    }
  } else if (action === 'set') {
    if (rest.length === 0) throw new AgentError('USAGE', 'usage: pos-agent sim set DEVICE.FIELD=VALUE… [--dir DIR]');
    for (const assignment of rest) requests.push(parseAssignment(assignment));
  } else if (action === 'unplug' || action === 'plug') {
    if (rest.length !== 1) throw new AgentError('USAGE', `usage: pos-agent sim ${action} DEVICE [--dir DIR]`);
    requests.push({ action, device: rest[0]! });
  } else {
    requests.push({ action: 'status' });
  }
  for (const request of requests) {
    const answer = await sendControl(socketPath, request);
    if (!answer.ok) {
      process.stderr.write(`pos-agent sim: ${answer.error}\n`);
      return EXIT.FATAL;
    }
    process.stdout.write(answer.state !== undefined ? `${JSON.stringify(answer.state, null, 2)}\n` : `${answer.done}\n`);
  }
  return EXIT.OK;
}

/** `battery.capacity=12`: the value is JSON when it parses as JSON, else a string. */
function parseAssignment(text: string): ControlRequest {
  const match = /^([A-Za-z]+)\.([A-Za-z]+)=(.*)$/s.exec(text);
  if (!match) throw new AgentError('USAGE', `"${text}" is not DEVICE.FIELD=VALUE`);
  const [, device, field, raw] = match as unknown as [string, string, string, string];
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // a bare word is a string
  }
  return { action: 'set', device, field, value };
}

function loadScenario(file: string): Scenario {
  let input: unknown;
  try {
    input = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new AgentError('USAGE', `cannot read scenario ${file}: ${(error as Error).message}`);
  }
  const parsed = scenarioSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '$'}: ${issue.message}`).join('\n');
    throw new AgentError('USAGE', `scenario ${file} is invalid:\n${problems}`);
  }
  return parsed.data;
}

async function isRunning(socketPath: string): Promise<boolean> {
  if (!fs.existsSync(socketPath)) return false;
  try {
    await sendControl(socketPath, { action: 'status' }, 1_000);
    return true;
  } catch {
    return false;
  }
}
