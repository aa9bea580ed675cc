import type { MqttClient } from 'mqtt';
import { parseTerminalTopic, TOPIC_SUFFIXES, type TopicSuffix } from '../protocol/topics.js';
import type { FaultLatency } from './fault-latency.js';
import { subscribe } from './recorder.js';

/**
 * The fleet's back end: one MQTT connection of its own on `{topicRoot}/+/+`, as a consumer would
 * subscribe, counting what arrives by topic and timing each fault message for the latency book.
 * Retained messages replayed on subscribe are not traffic and are left out, and so are the
 * messages of terminals of other fleet processes on the same broker.
 */

export type TopicCounts = Record<TopicSuffix, number>;

export interface ObservedTerminals {
  /** `R/state` with `online: true`. */
  births: number;
  /** Terminals whose birth arrived. */
  born: number;
  /** Terminals with at least one heartbeat. */
  heartbeating: number;
  /** `R/state` with `online: false`, by reason (`shutdown`, `lost`). */
  offline: Record<string, number>;
  /** Terminals whose last state is the clean-offline one. */
  cleanlyOffline: number;
  faultsRaised: number;
  faultsCleared: number;
}

export function zeroCounts(): TopicCounts {
  return Object.fromEntries(TOPIC_SUFFIXES.map((suffix) => [suffix, 0])) as TopicCounts;
}

export class FleetObserver {
  readonly counts = zeroCounts();
  private readonly born = new Set<string>();
  private readonly heartbeating = new Set<string>();
  private readonly lastState = new Map<string, string>();
  private births = 0;
  private readonly offline: Record<string, number> = {};
  private faultsRaised = 0;
  private faultsCleared = 0;
  /** Messages that are not the contract's JSON: counted, never fatal. */
  unreadable = 0;

  private client: MqttClient | undefined;

  private constructor(
    private readonly topicRoot: string,
    private readonly latency: FaultLatency,
    private readonly now: () => number,
    private readonly ours: (terminalId: string) => boolean,
  ) {}

  static async connect(options: {
    url: string;
    topicRoot: string;
    protocolVersion: 4 | 5;
    latency: FaultLatency;
    now: () => number;
    /** This fleet's terminals: other fleet processes may share the broker. */
    ours?: (terminalId: string) => boolean;
  }): Promise<FleetObserver> {
    const observer = new FleetObserver(options.topicRoot, options.latency, options.now, options.ours ?? (() => true));
    // Payloads are parsed only where a figure needs them: a fleet sends thousands a second.
    observer.client = await subscribe(
      options.url,
      `${options.topicRoot}/+/+`,
      (topic, payload, packet) => {
        if (!packet.retain) observer.receive(topic, payload);
      },
      { clientId: `pos-agent-fleet-observer-${process.pid}`, protocolVersion: options.protocolVersion, reconnectPeriod: 1_000, connectTimeout: 10_000 },
    );
    return observer;
  }

  terminals(): ObservedTerminals {
    let cleanlyOffline = 0;
    for (const state of this.lastState.values()) if (state === 'shutdown') cleanlyOffline += 1;
    return {
      births: this.births,
      born: this.born.size,
      heartbeating: this.heartbeating.size,
      offline: { ...this.offline },
      cleanlyOffline,
      faultsRaised: this.faultsRaised,
      faultsCleared: this.faultsCleared,
    };
  }

  async close(): Promise<void> {
    await this.client?.endAsync();
  }

  private receive(topic: string, payload: Buffer): void {
    const at = this.now();
    const parsed = parseTerminalTopic(topic, this.topicRoot);
    if (!parsed || !this.ours(parsed.terminalId)) return;
    const { terminalId, suffix } = parsed;
    this.counts[suffix] += 1;
    if (suffix !== 'state' && suffix !== 'fault' && suffix !== 'heartbeat') return;
    if (suffix === 'heartbeat') {
      this.heartbeating.add(terminalId);
      return;
    }
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(payload.toString()) as Record<string, unknown>;
    } catch {
      this.unreadable += 1;
      return;
    }
    if (suffix === 'state') this.onState(terminalId, message);
    else this.onFault(terminalId, message, at);
  }

  private onState(terminalId: string, message: Record<string, unknown>): void {
    if (message.online === true) {
      this.births += 1;
      this.born.add(terminalId);
      this.lastState.set(terminalId, 'online');
      return;
    }
    const reason = typeof message.reason === 'string' ? message.reason : 'unknown';
    this.offline[reason] = (this.offline[reason] ?? 0) + 1;
    this.lastState.set(terminalId, reason);
  }

  private onFault(terminalId: string, message: Record<string, unknown>, at: number): void {
    const { code, state, id } = message;
    if (typeof code !== 'string' || typeof id !== 'string' || (state !== 'raised' && state !== 'cleared')) {
      this.unreadable += 1;
      return;
    }
    if (state === 'raised') this.faultsRaised += 1;
    else this.faultsCleared += 1;
    this.latency.received(terminalId, { code, state, id }, at);
  }
}
