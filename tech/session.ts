import { randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { errorMessage } from '../basics/errors.js';
import { redactUrl } from '../basics/url.js';
import { signCommand, type OpInput, type OpName } from '../protocol/command.js';
import type { ReplyMessage } from '../protocol/messages.js';
import { terminalTopics, type TerminalTopics } from '../protocol/topics.js';

/**
 * The technician's side of one terminal's R/cmd and R/reply. Each command is signed with a fresh id
 * and a short life. On MQTT 5 it carries a response topic and correlation data, and a reply is
 * matched by either; on MQTT 3.1.1 (a broker that refuses 5) by its id alone.
 */

export interface SessionOptions {
  broker: string;
  ca?: Buffer;
  topicRoot: string;
  terminalId: string;
  key: KeyObject;
  kid: string;
  /** No answer (or no next part) within this: NoAnswer. */
  timeoutMs: number;
}

export type Answer = { ok: true; parts: unknown[] } | { ok: false; code: string; message: string };

/** The broker or the terminal did not answer: exit 3. */
export class NoAnswer extends Error {
  override name = 'NoAnswer';
}

/** How long a signed command is valid: long enough for a slow link, short against replay. */
const COMMAND_LIFETIME_SECONDS = 300;

export class TechSession {
  private listener: ((payload: Buffer, correlationData: Buffer | undefined) => void) | undefined;
  /** Refusals without an id, which on MQTT 3.1.1 cannot be told apart: said if nothing else comes. */
  private anonymous: string | undefined;

  private constructor(
    private readonly client: MqttClient,
    private readonly options: SessionOptions,
    private readonly topics: TerminalTopics,
    readonly protocolVersion: 4 | 5,
  ) {
    client.on('message', (topic, payload, packet) => {
      if (topic === topics.reply) this.listener?.(payload, packet.properties?.correlationData);
    });
  }

  static async open(options: SessionOptions): Promise<TechSession> {
    const topics = terminalTopics(options.topicRoot, options.terminalId);
    let client: MqttClient;
    let version: 4 | 5 = 5;
    try {
      client = await connect(options, 5);
    } catch (error) {
      if (!refusedVersion(error)) throw new NoAnswer(`cannot reach the broker at ${redactUrl(options.broker)}: ${errorMessage(error)}`);
      version = 4;
      try {
        client = await connect(options, 4);
      } catch (again) {
        throw new NoAnswer(`cannot reach the broker at ${redactUrl(options.broker)}: ${errorMessage(again)}`);
      }
    }
    await client.subscribeAsync(topics.reply, { qos: 1 });
    return new TechSession(client, options, topics, version);
  }

  /** Sends one command; resolves with every part of its answer. `onPart` sees them arrive. */
  async request<O extends OpName>(op: O, args: OpInput<O>, onPart?: (received: number, parts: number) => void): Promise<Answer> {
    const { options, topics } = this;
    const id = randomUUID();
    const correlation = randomBytes(16);
    const iat = Math.floor(Date.now() / 1000);
    const token = await signCommand({ id, op, args: args as Record<string, unknown>, aud: options.terminalId, iat, exp: iat + COMMAND_LIFETIME_SECONDS }, options.key, options.kid);

    return new Promise<Answer>((resolve, reject) => {
      const parts = new Map<number, unknown>();
      let timer: NodeJS.Timeout;
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.listener = undefined;
        settle();
      };
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => finish(() => reject(new NoAnswer(this.silence(parts.size)))), options.timeoutMs);
      };
      this.listener = (payload, correlationData) => {
        const reply = parseReply(payload);
        if (!reply) return;
        const ours = reply.id === id || (correlationData !== undefined && correlation.equals(correlationData));
        if (!ours) {
          if (reply.id === null && !reply.ok) this.anonymous = `${reply.error.code}: ${reply.error.message}`;
          return;
        }
        if (!reply.ok) return finish(() => resolve({ ok: false, code: reply.error.code, message: reply.error.message }));
        parts.set(reply.part, reply.data);
        onPart?.(parts.size, reply.parts);
        if (parts.size >= reply.parts) {
          return finish(() => resolve({ ok: true, parts: [...parts.keys()].sort((a, b) => a - b).map((part) => parts.get(part)) }));
        }
        arm();
      };
      arm();
      const properties = this.protocolVersion === 5 ? { responseTopic: topics.reply, correlationData: correlation } : undefined;
      this.client.publish(topics.cmd, token, { qos: 1, ...(properties ? { properties } : {}) }, (error) => {
        if (error) finish(() => reject(new NoAnswer(`the broker did not take the command: ${errorMessage(error)}`)));
      });
    });
  }

  async close(): Promise<void> {
    await this.client.endAsync(true).catch(() => undefined);
  }

  private silence(received: number): string {
    const seconds = Math.round(this.options.timeoutMs / 1000);
    const what = received > 0 ? `the rest of the answer did not come within ${seconds} s` : `no answer within ${seconds} s (--timeout)`;
    const hint = this.anonymous ? `; meanwhile a refusal without an id came: ${this.anonymous}` : '; is the terminal online?';
    return `${this.options.terminalId}: ${what}${hint}`;
  }
}

function connect(options: SessionOptions, protocolVersion: 4 | 5): Promise<MqttClient> {
  const clientOptions: IClientOptions = {
    clientId: `pos-agent-tech-${randomBytes(6).toString('hex')}`,
    protocolVersion,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: options.timeoutMs,
    ca: options.ca,
  };
  return mqtt.connectAsync(options.broker, clientOptions, false);
}

/** An MQTT 3.1.1 broker answers a version 5 CONNECT with "unacceptable protocol version". */
function refusedVersion(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 1 || code === 132 || /protocol version/i.test(errorMessage(error));
}

function parseReply(payload: Buffer): ReplyMessage | undefined {
  try {
    const reply = JSON.parse(payload.toString()) as ReplyMessage;
    return typeof reply === 'object' && reply !== null && typeof reply.ok === 'boolean' ? reply : undefined;
  } catch {
    return undefined;
  }
}
