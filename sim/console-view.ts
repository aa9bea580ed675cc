import mqtt, { type MqttClient } from 'mqtt';
import type { FaultMessage, FaultsSnapshot, HeartbeatMessage, StateMessage } from '../protocol/messages.js';
import { terminalTopics } from '../protocol/topics.js';

/**
 * What a fleet back end sees of one terminal, drawn in the console: it subscribes to the
 * terminal's topics like any consumer, so the demo shows the real messages, not the agent's memory.
 */

const COLOURS = { IN_SERVICE: 32, DEGRADED: 33, OUT_OF_SERVICE: 31, MAINTENANCE: 36 } as const;

export class ConsoleView {
  private client: MqttClient | undefined;
  private state: StateMessage | undefined;
  private snapshot: FaultsSnapshot | undefined;
  private heartbeat: { message: HeartbeatMessage; bytes: number } | undefined;
  private readonly events: string[] = [];
  private note = '';
  private readonly tty: boolean;
  private readonly startedAt = Date.now();
  private drawTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly brokerUrl: string,
    private readonly topicRoot: string,
    private readonly terminalId: string,
    private readonly out: NodeJS.WriteStream = process.stdout,
  ) {
    this.tty = Boolean(out.isTTY);
  }

  async start(): Promise<void> {
    const topics = terminalTopics(this.topicRoot, this.terminalId);
    this.client = await mqtt.connectAsync(this.brokerUrl, { clientId: `view-${process.pid}`, reconnectPeriod: 500 });
    this.client.on('message', (topic, payload) => {
      try {
        this.receive(topic, topics, payload);
      } catch {
        // A view never dies of one odd message.
      }
    });
    await this.client.subscribeAsync(`${this.topicRoot}/${this.terminalId}/+`, { qos: 1 });
    if (this.tty) this.drawTimer = setInterval(() => this.draw(), 1000);
  }

  /** A line of the story being told (the scenario's notes). */
  narrate(note: string): void {
    this.note = note;
    if (this.tty) this.draw();
    else this.out.write(`${this.clock()}  ** ${note}\n`);
  }

  async stop(): Promise<void> {
    clearInterval(this.drawTimer);
    if (this.tty) this.draw();
    await this.client?.endAsync();
  }

  private receive(topic: string, topics: ReturnType<typeof terminalTopics>, payload: Buffer): void {
    const message = JSON.parse(payload.toString());
    if (topic === topics.state) {
      this.state = message as StateMessage;
      this.log(this.state.online ? `state: online (session ${this.state.session})` : `state: offline (${this.state.reason})`);
    } else if (topic === topics.faults) {
      const previous = this.snapshot?.availability;
      this.snapshot = message as FaultsSnapshot;
      if (previous !== this.snapshot.availability) {
        this.log(`availability: ${this.snapshot.availability}${this.snapshot.reasons.length ? ` (${this.snapshot.reasons.join(', ')})` : ''}`);
      }
    } else if (topic === topics.heartbeat) {
      this.heartbeat = { message: message as HeartbeatMessage, bytes: payload.length };
      if (!this.tty) this.out.write(`${this.clock()}  heartbeat #${this.heartbeat.message.seq} ${payload.length} bytes ${payload.toString()}\n`);
    } else if (topic === topics.fault) {
      const fault = message as FaultMessage;
      // Nested detail (a merchant field's baseline and current value) as JSON, not "[object Object]".
      const shown = (value: unknown) => (typeof value === 'object' && value !== null && !Array.isArray(value) ? JSON.stringify(value) : String(value));
      const detail = Object.entries(fault.detail ?? {}).map(([key, value]) => `${key} ${shown(value)}`).join(', ');
      this.log(`#${fault.seq} ${fault.state === 'raised' ? 'RAISED ' : 'cleared'} ${fault.code} (${fault.severity}) ${detail}`);
    }
    if (this.tty) this.draw();
  }

  private log(line: string): void {
    const entry = `${this.clock()}  ${line}`;
    this.events.push(entry);
    if (this.events.length > 10) this.events.shift();
    if (!this.tty) this.out.write(`${entry}\n`);
  }

  private clock(): string {
    return `t+${String(Math.round((Date.now() - this.startedAt) / 1000)).padStart(3)}s`;
  }

  private colour(text: string, code: number): string {
    return this.tty ? `\x1b[${code}m${text}\x1b[0m` : text;
  }

  private draw(): void {
    const lines: string[] = [];
    const availability = this.snapshot?.availability ?? 'waiting for the first snapshot';
    const code = this.snapshot ? COLOURS[this.snapshot.availability] : 90;
    lines.push(this.colour(`pos-agent demo: terminal ${this.terminalId} via ${this.brokerUrl}`, 1) + `   ${this.clock()}`);
    lines.push(this.note ? `Scenario: ${this.note}` : '');
    lines.push('');
    lines.push(`Availability   ${this.colour(availability, code)}`);
    lines.push(`Reasons        ${this.snapshot?.reasons.join(', ') || '-'}`);
    const state = this.state;
    lines.push(`State          ${state ? (state.online ? `online, session ${state.session}` : `offline (${state.reason})`) : '-'}`);
    lines.push('');
    lines.push('Active faults');
    if (!this.snapshot?.active.length) lines.push('  none');
    for (const fault of this.snapshot?.active ?? []) {
      const severity = fault.severity === 'critical' ? this.colour('critical', 31) : this.colour('warning ', 33);
      lines.push(`  ${severity}  ${fault.code.padEnd(22)} ${fault.message.padEnd(38)} since ${new Date(fault.raisedAt).toLocaleTimeString()}`);
    }
    lines.push('');
    if (this.heartbeat) {
      const { message, bytes } = this.heartbeat;
      lines.push(`Last heartbeat #${message.seq} at ${new Date(message.ts).toLocaleTimeString()} (${bytes} bytes)`);
      for (const device of ['printer', 'cardReader', 'battery', 'network', 'system', 'outbox'] as const) {
        const fields = message[device];
        if (!fields) continue;
        lines.push(`  ${device.padEnd(10)} ${Object.entries(fields).map(([key, value]) => `${key} ${String(value)}`).join('  ')}`);
      }
    } else {
      lines.push('Last heartbeat -');
    }
    lines.push('');
    lines.push('Recent messages');
    for (const event of this.events) lines.push(`  ${event}`);
    this.out.write(`\x1b[H\x1b[2J${lines.join('\n')}\n`);
  }
}
