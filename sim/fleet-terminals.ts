import path from 'node:path';
import type { Logger } from 'pino';
import { Agent } from '../agent/agent.js';
import { formatProblems, parseConfig } from '../agent/config.js';
import { errorMessage } from '../basics/errors.js';
import type { ProbeHost } from './probe-host.js';
import { SimTerminal } from './terminal.js';

/**
 * The terminals of a simulated fleet, each an in-process `Agent` with its own MQTT connection and
 * its own state folder, in front of its own simulated devices (in-process serial lines, sysfs and
 * proc trees in its folder) and the fleet's one acquirer host.
 */

export interface FleetMember {
  terminalId: string;
  terminal: SimTerminal;
  agent: Agent;
  started: boolean;
}

export interface FleetTerminalsOptions {
  dir: string;
  brokerUrl: string;
  protocolVersion: 4 | 5;
  heartbeatSeconds: number;
  /** The number of the first terminal. */
  firstId: number;
  log: Logger;
  probeHost: ProbeHost;
}

export interface StartProgress {
  started: number;
  connected: number;
}

/** How long one batch may take to connect before the next is started anyway. */
const BATCH_CONNECT_MS = 10_000;
const PROGRESS_EVERY_MS = 250;

/** The id of terminal number `number` (from 1): `FLEET-000001`. */
export function fleetTerminalId(number: number): string {
  return `FLEET-${String(number).padStart(6, '0')}`;
}

/** Whether a terminal id is one of `count` fleet terminals numbered from `firstId`. */
export function inFleet(terminalId: string, firstId: number, count: number): boolean {
  const match = /^FLEET-(\d{6,})$/.exec(terminalId);
  if (!match) return false;
  const number = Number(match[1]);
  return number >= firstId && number < firstId + count;
}

export class FleetTerminals {
  readonly members: FleetMember[] = [];
  private stopping = false;

  constructor(private readonly options: FleetTerminalsOptions) {}

  /**
   * Starts `count` terminals, `batch` at a time: a batch's agents start together, and the next
   * batch waits until they are all connected (at most 10 s), so a broker sees a steady stream of
   * CONNECTs rather than all of them at once. Resolves with the error that ended start-up early.
   */
  async start(count: number, batch: number, progress: (figures: StartProgress) => void): Promise<Error | undefined> {
    for (let first = 0; first < count && !this.stopping; first += batch) {
      try {
        const members: FleetMember[] = [];
        for (let index = first; index < Math.min(first + batch, count); index++) members.push(await this.create(index));
        // Settled, not raced: an agent still starting when the others failed would miss the stop.
        const starts = await Promise.allSettled(
          members.map(async (member) => {
            await member.agent.start();
            member.started = true;
          }),
        );
        const failed = starts.find((start) => start.status === 'rejected');
        if (failed) throw failed.reason;
      } catch (error) {
        return error instanceof Error ? error : new Error(errorMessage(error));
      }
      const deadline = performance.now() + BATCH_CONNECT_MS;
      while (!this.stopping && this.connected() < this.startedCount() && performance.now() < deadline) {
        progress(this.progress());
        await new Promise((resolve) => setTimeout(resolve, PROGRESS_EVERY_MS));
      }
      progress(this.progress());
    }
    return undefined;
  }

  /** Ends a start-up in progress after its current batch. */
  interrupt(): void {
    this.stopping = true;
  }

  progress(): StartProgress {
    return { started: this.startedCount(), connected: this.connected() };
  }

  /** Agents whose MQTT connection is up now. */
  connected(): number {
    let count = 0;
    for (const member of this.members) if (member.started && member.agent.status().connection.up) count += 1;
    return count;
  }

  /** Every agent stopped (each publishes its clean-offline state), then every simulated device. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.members.map((member) =>
        // One whose start failed half-way still has timers or files to let go of.
        member.agent.stop().catch((error: unknown) => this.options.log.warn({ terminalId: member.terminalId, err: errorMessage(error) }, 'agent did not stop cleanly')),
      ),
    );
    for (const member of this.members) await member.terminal.close();
  }

  private startedCount(): number {
    let count = 0;
    for (const member of this.members) if (member.started) count += 1;
    return count;
  }

  private async create(index: number): Promise<FleetMember> {
    const { options } = this;
    const terminalId = fleetTerminalId(options.firstId + index);
    const terminal = new SimTerminal(path.join(options.dir, terminalId));
    try {
      await terminal.attachDevices({ kind: 'memory' }, options.probeHost);
      // The interface's counters are not what a fleet is about, and rewriting them every second
      // for every terminal would cost more CPU than the agents.
      terminal.network.stopTraffic();
      // The devices' default intervals, as on a real terminal: the fleet's load is the real one.
      const raw = terminal.agentConfig({
        brokerUrl: options.brokerUrl,
        terminalId,
        protocolVersion: options.protocolVersion,
        heartbeatSeconds: options.heartbeatSeconds,
        logLevel: 'warn',
        batteryPollSeconds: 30,
        systemPollSeconds: 60,
        serialPollSeconds: 5,
        networkPollSeconds: 10,
      });
      // The broker is the one given on the command line: environment overrides do not apply.
      const parsed = parseConfig(raw, {});
      if (!parsed.ok) throw new Error(`the config of ${terminalId} is invalid:\n${formatProblems(parsed.problems)}`);
      const agent = new Agent(parsed.config, { log: options.log.child({ terminalId }), driverEnv: { serial: terminal.serialOpener() } });
      const member = { terminalId, terminal, agent, started: false };
      this.members.push(member);
      return member;
    } catch (error) {
      await terminal.close();
      throw error;
    }
  }
}
