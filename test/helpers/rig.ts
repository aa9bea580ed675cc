import fs from 'node:fs';
import path from 'node:path';
import mqtt, { type IClientOptions } from 'mqtt';
import { FileStore } from '../../agent/outbox/file-store.js';
import { SimTerminal, type AgentConfigOptions } from '../../sim/terminal.js';
import { AgentProcess } from './agent-process.js';
import { memoryLog } from './log.js';
import type { Recorder } from './recorder.js';
import { tempDir, writeJson } from '../../sim/temp-dirs.js';
import { delay, holdsWithin } from '../../basics/wait.js';

/**
 * One simulated terminal and the built agent pointed at it, started as often as a test likes;
 * what every run logged stays available, so a test can compare what the agent says it wrote
 * with what a back end received.
 */
export class Rig {
  readonly terminal: SimTerminal;
  readonly configFile: string;
  readonly config: Record<string, any>;
  readonly runs: AgentProcess[] = [];

  constructor(
    readonly terminalId: string,
    options: Omit<AgentConfigOptions, 'terminalId'>,
    change: (config: Record<string, any>) => void = () => {},
  ) {
    this.terminal = new SimTerminal(tempDir());
    this.config = this.terminal.agentConfig({ heartbeatSeconds: 1, batteryPollSeconds: 0.1, systemPollSeconds: 0.5, logLevel: 'debug', ...options, terminalId });
    change(this.config);
    this.configFile = writeJson(path.join(this.terminal.dir, 'agent.json'), this.config);
  }

  static id(prefix = 'T'): string {
    return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
  }

  get outboxDir(): string {
    return path.join(this.terminal.stateDir, 'outbox');
  }

  /** Rewrites the config file, for the next start. */
  reconfigure(change: (config: Record<string, any>) => void): void {
    change(this.config);
    writeJson(this.configFile, this.config);
  }

  start(env: NodeJS.ProcessEnv = {}): AgentProcess {
    const agent = new AgentProcess(['run', '--config', this.configFile], env);
    this.runs.push(agent);
    return agent;
  }

  /**
   * Makes BATTERY_OVERHEAT raise and clear, again and again: the battery's temperature goes
   * from 60 °C to 35 °C and back every `ms`. `stop()` leaves it cool.
   */
  flap(ms: number): { stop(): void } {
    let hot = false;
    const timer = setInterval(() => {
      hot = !hot;
      void this.terminal.apply({ battery: { temperatureC: hot ? 60 : 35 } });
    }, ms);
    return {
      stop: () => {
        clearInterval(timer);
        void this.terminal.apply({ battery: { temperatureC: 35 } });
      },
    };
  }

  /** Log lines of every run so far. */
  logLines(): any[] {
    return this.runs.flatMap((run) => run.logLines());
  }

  /** The seqs of the fault messages the agent logged as written to its outbox, over every run. */
  faultSeqs(): number[] {
    return this.logLines()
      .filter((line) => /^fault (raised|cleared):/.test(line.msg) && typeof line.seq === 'number')
      .map((line) => line.seq as number);
  }

  /** Bytes of the outbox's segment and ack files. */
  outboxBytes(): number {
    let bytes = 0;
    for (const name of fs.readdirSync(this.outboxDir)) {
      if (/\.(log|ack)$/.test(name)) bytes += fs.statSync(path.join(this.outboxDir, name)).size;
    }
    return bytes;
  }

  /** What the outbox holds on disk, read as the next start would (only while no agent runs). */
  async outboxOnDisk(): Promise<{ pending: number[]; lastSeq: number; dropped: number }> {
    const store = new FileStore({ dir: this.outboxDir, maxBytes: this.config.outbox?.maxBytes ?? 8 * 1024 * 1024, log: memoryLog().log });
    const state = await store.open();
    await store.close();
    return { pending: state.pending.map((info) => info.seq), lastSeq: state.lastSeq, dropped: state.dropped };
  }
}

/** The first log line of the agent that `predicate` accepts, waiting for it up to `ms`. */
export async function waitForLog(agent: { logLines(): any[]; stderr?: string }, predicate: (line: any) => boolean, what: string, ms = 20_000): Promise<any> {
  if (await holdsWithin(() => agent.logLines().some(predicate), ms)) return agent.logLines().find(predicate);
  const lines = agent.logLines();
  const tail = lines.length > 0 ? lines.slice(-15).map((l) => JSON.stringify(l)).join('\n') : (agent.stderr ?? '').slice(-3000);
  throw new Error(`no log line "${what}" within ${ms} ms; last lines:\n${tail}`);
}

/**
 * Waits for the agent to connect again after `since`, for as long as its backoff says it will
 * wait (full jitter: after a long outage that can be a minute) and 20 s more: each failed attempt
 * logs when the next one comes.
 */
export async function waitForReconnect(agent: { logLines(): any[] }, since: number): Promise<void> {
  for (;;) {
    const lines = agent.logLines();
    if (lines.some((line) => line.msg === 'connected to broker' && line.time >= since)) return;
    const retry = lines.filter((line) => line.msg === 'cannot reach the broker' || line.msg === 'lost the broker').at(-1);
    const deadline = Math.max(since, retry ? retry.time + retry.retryInMs : 0) + 20_000;
    if (Date.now() > deadline) throw new Error(`no reconnect since ${new Date(since).toISOString()}; last lines:\n${lines.slice(-10).map((line) => JSON.stringify(line)).join('\n')}`);
    await delay(50);
  }
}

export { delay as sleep, waitUntil } from '../../basics/wait.js';

/** Proves a recorder's subscription is live: a marker published by another client reaches it. */
export async function roundTrip(url: string, recorder: Recorder, topic: string, options: IClientOptions = {}): Promise<void> {
  const marker = `marker-${Math.random().toString(36).slice(2)}`;
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 200, ...options });
  try {
    await client.publishAsync(topic, marker, { qos: 1 });
    await recorder.waitFor(`marker on ${topic}`, (message) => message.payload.toString() === marker);
  } finally {
    await client.endAsync(true);
  }
}
