import { delay } from '../basics/wait.js';
import { Recorder } from '../sim/recorder.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { ProbeHost } from '../sim/probe-host.js';
import { SimTerminal } from '../sim/terminal.js';
import { TechSession } from '../tech/session.js';
import { Mosquitto } from '../sim/mosquitto.js';
import { findTool } from '../sim/tools.js';

/**
 * What the agent's benchmarks share: a broker, simulated terminals whose serial devices sit on
 * pseudo-terminals, the built agent started as a terminal starts it (bin/pos-agent), a
 * subscriber that timestamps what a back end receives, and readings of a process from /proc.
 */

const ROOT = path.resolve(import.meta.dirname, '..');
export const LAUNCHER = path.join(ROOT, 'bin', 'pos-agent');
export const CLI = path.join(ROOT, 'dist', 'cli.js');

export interface Tools {
  socat: string;
  mosquitto: string;
}

/** The tools the agent's benchmarks need, or why they cannot run. */
export function benchTools(): Tools | string {
  const socat = findTool('socat');
  const mosquitto = findTool('mosquitto');
  if (!socat || !mosquitto) return `needs ${[!socat && 'socat', !mosquitto && 'mosquitto'].filter(Boolean).join(' and ')} (apt-get install socat mosquitto)`;
  return { socat, mosquitto };
}

/** A back end's view: every message with the time it arrived, on the clock of performance.now(). */
export function backEnd(url: string, filter: string): Promise<Recorder> {
  return Recorder.connect(url, filter, { clientId: `bench-${process.pid}-${Math.random().toString(16).slice(2)}`, reconnectPeriod: 0 }, () => performance.now());
}

export interface BenchTerminalOptions {
  brokerUrl: string;
  terminalId: string;
  /** Seconds between polls of every device; the defaults of SPEC.md section 3 when left out. */
  pollSeconds?: number;
  /** Left out: the default of SPEC.md section 3. */
  heartbeatSeconds?: number;
  probeHost: ProbeHost;
}

/** A simulated terminal on pseudo-terminals, with a config for the agent and a technician key. */
export class BenchTerminal {
  readonly configFile: string;
  private readonly technicianKey = generateKeyPairSync('ed25519');

  private constructor(
    readonly terminal: SimTerminal,
    readonly terminalId: string,
    private readonly brokerUrl: string,
  ) {
    this.configFile = path.join(terminal.dir, 'agent.json');
  }

  static async create(dir: string, tools: Tools, options: BenchTerminalOptions): Promise<BenchTerminal> {
    fs.mkdirSync(dir, { recursive: true });
    const terminal = new SimTerminal(dir);
    await terminal.attachDevices({ kind: 'pty', socat: tools.socat }, options.probeHost);
    await terminal.attachCertificate();
    const bench = new BenchTerminal(terminal, options.terminalId, options.brokerUrl);
    const config = terminal.agentConfig({
      brokerUrl: options.brokerUrl,
      terminalId: options.terminalId,
      protocolVersion: 5,
      heartbeatSeconds: options.heartbeatSeconds,
      batteryPollSeconds: options.pollSeconds ?? 30,
      systemPollSeconds: options.pollSeconds ?? 60,
      serialPollSeconds: options.pollSeconds ?? 5,
      networkPollSeconds: options.pollSeconds ?? 10,
      logLevel: 'info',
    }) as Record<string, any>;
    // The defaults of SPEC.md section 3 unless the section sets its own.
    if (options.heartbeatSeconds === undefined) delete config.heartbeatSeconds;
    delete config.mqtt.keepaliveSeconds;
    if (options.pollSeconds === undefined) delete config.devices.network?.probe?.answeringSeconds;
    config.technicianKeys = [{ kid: 'bench', publicKey: bench.technicianKey.publicKey.export({ type: 'spki', format: 'pem' }).toString() }];
    fs.writeFileSync(bench.configFile, JSON.stringify(config, null, 2));
    return bench;
  }

  /** Every device's polls so far, from the agent's own `status` answer (a signed command). */
  async polls(): Promise<number> {
    const session = await TechSession.open({
      broker: this.brokerUrl,
      topicRoot: 'pos/v1',
      terminalId: this.terminalId,
      key: createPrivateKey(this.technicianKey.privateKey.export({ type: 'pkcs8', format: 'pem' })),
      kid: 'bench',
      timeoutMs: 20_000,
    });
    try {
      const answer = await session.request('status', {});
      if (!answer.ok) throw new Error(`status refused: ${answer.code} ${answer.message}`);
      const status = answer.parts[0] as { devices: Record<string, { polls?: { polls: number } }> };
      return Object.values(status.devices).reduce((sum, device) => sum + (device.polls?.polls ?? 0), 0);
    } finally {
      await session.close();
    }
  }

  async close(): Promise<void> {
    await this.terminal.close();
  }
}

/** The built agent as its own process, started as on a terminal: `bin/pos-agent run`. */
export class AgentProcess {
  readonly child: ChildProcess;
  readonly startedAt = performance.now();
  stderr = '';

  constructor(configFile: string, launcher = LAUNCHER, env: NodeJS.ProcessEnv = {}) {
    const args = launcher === LAUNCHER ? ['run', '--config', configFile] : [CLI, 'run', '--config', configFile];
    this.child = spawn(launcher === LAUNCHER ? LAUNCHER : process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-20_000);
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 8_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Resident memory of a process, in MiB. */
export function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) / 1024;
}

/** CPU seconds a process has used (user + system), from /proc (clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A bare Node.js process, idle, for the reference figures measured in the same run. */
export async function bareNode<T>(measure: (child: ChildProcess) => Promise<T>): Promise<T> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e9)'], { stdio: 'ignore' });
  try {
    await delay(2_000);
    return await measure(child);
  } finally {
    child.kill('SIGKILL');
  }
}

export { delay as sleep };

export function median(values: number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** A broker and a probe host for a section, ended together. */
export async function benchWorld(tools: Tools): Promise<{ broker: Mosquitto; probeHost: ProbeHost; close(): Promise<void> }> {
  const broker = await Mosquitto.start(tools.mosquitto);
  const probeHost = await ProbeHost.start();
  return {
    broker,
    probeHost,
    async close() {
      await probeHost.close();
      await broker.stop();
    },
  };
}
