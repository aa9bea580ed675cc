import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { signCommand, type OpInput, type OpName } from '../protocol/command.js';
import type { ReplyMessage } from '../protocol/messages.js';
import { terminalTopics, type TerminalTopics } from '../protocol/topics.js';

/**
 * The demo's technician: a key the demo terminal trusts, and the steps `pos-agent tech
 * merchant-approve` takes: fetch `status`, read the merchant values the terminal shows, and send a
 * signed `merchant-approve` with exactly those. It goes through the broker and the agent's
 * signature checks like a real technician's client.
 */
export class DemoTechnician {
  readonly kid = 'demo-technician';
  private readonly privateKey: KeyObject;
  readonly entry: { kid: string; publicKey: string };
  private client: MqttClient | undefined;
  private topics: TerminalTopics | undefined;
  private terminalId = '';
  private readonly waiting = new Map<string, (reply: ReplyMessage) => void>();

  constructor() {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    this.privateKey = privateKey;
    this.entry = { kid: this.kid, publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
  }

  async connect(brokerUrl: string, topicRoot: string, terminalId: string): Promise<void> {
    this.terminalId = terminalId;
    this.topics = terminalTopics(topicRoot, terminalId);
    this.client = await mqtt.connectAsync(brokerUrl, { clientId: `demo-tech-${process.pid}`, reconnectPeriod: 500 });
    this.client.on('message', (_topic, payload) => {
      try {
        const reply = JSON.parse(payload.toString()) as ReplyMessage;
        if (reply.id !== null) this.waiting.get(reply.id)?.(reply);
      } catch {
        // not a reply of ours
      }
    });
    await this.client.subscribeAsync(this.topics.reply, { qos: 1 });
  }

  /** What the technician sees and approves, as one line for the console. */
  async approveMerchant(): Promise<string> {
    const status = await this.request('status', {});
    if (!status.ok) return `status refused: ${status.error.code}`;
    const values = (status.data as { devices?: { merchant?: { reading?: { values?: Record<string, string | null> } } } }).devices?.merchant?.reading?.values;
    if (!values?.mid || !values.tid) return 'the terminal cannot read its merchant parameters: nothing to approve';
    const approval = await this.request('merchant-approve', { mid: values.mid, tid: values.tid, mcc: values.mcc, name: values.name });
    if (!approval.ok) return `approval refused: ${approval.error.code}: ${approval.error.message}`;
    return `approved mid ${values.mid}, tid ${values.tid}, MCC ${values.mcc} as the baseline (key ${this.kid})`;
  }

  async close(): Promise<void> {
    await this.client?.endAsync(true);
  }

  private async request<O extends OpName>(op: O, args: OpInput<O>): Promise<ReplyMessage> {
    const id = randomUUID();
    const iat = Math.floor(Date.now() / 1000);
    const token = await signCommand({ id, op, args: args as Record<string, unknown>, aud: this.terminalId, iat, exp: iat + 60 }, this.privateKey, this.kid);
    const reply = new Promise<ReplyMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`no answer to ${op} within 10 s`));
      }, 10_000);
      this.waiting.set(id, (message) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(message);
      });
    });
    await this.client!.publishAsync(this.topics!.cmd, token, { qos: 1 });
    return reply;
  }
}
