import fs from 'node:fs';
import type mqtt from 'mqtt';
import type { Logger } from 'pino';
import type { Clock } from '../basics/clock.js';
import type { OfflineMessage } from '../protocol/messages.js';
import type { TerminalTopics } from '../protocol/topics.js';
import type { AgentConfig } from './config.js';
import { MqttLink } from './mqtt-link.js';
import { SessionCounter } from './session.js';

/** MQTT 5 will delay (SPEC.md section 4) and the session expiry that must cover it. */
const WILL_DELAY_SECONDS = 30;
const SESSION_EXPIRY_SECONDS = 60;

export interface ConnectionOptions {
  config: AgentConfig;
  topics: TerminalTopics;
  clock: Clock;
  log: Logger;
  random?: () => number;
  connect?: typeof mqtt.connect;
}

/**
 * The terminal's MQTT connection as the config describes it: broker, TLS files, the will that
 * says "lost" with a delay, the command topic, and the `session` number of each connect.
 */
export class Connection {
  readonly link: MqttLink;
  private current = 0;

  constructor(options: ConnectionOptions) {
    const { config, topics } = options;
    const { mqtt: broker } = config;
    const sessions = new SessionCounter(config.stateDir, options.log);
    const read = (file: string | undefined) => (file ? fs.readFileSync(file) : undefined);
    this.link = new MqttLink({
      url: broker.url,
      clientId: config.terminalId,
      protocolVersion: broker.protocolVersion,
      keepaliveSeconds: broker.keepaliveSeconds,
      username: broker.username,
      password: broker.password,
      ca: read(broker.ca),
      cert: read(broker.cert),
      key: read(broker.key),
      sessionExpirySeconds: SESSION_EXPIRY_SECONDS,
      will: () => {
        const lost: OfflineMessage = { online: false, session: sessions.forAttempt(), reason: 'lost' };
        return { topic: topics.state, payload: Buffer.from(JSON.stringify(lost)), delaySeconds: WILL_DELAY_SECONDS };
      },
      subscriptions: [topics.cmd],
      clock: options.clock,
      log: options.log,
      random: options.random,
      connect: options.connect,
    });
    // Registered before any other listener: the birth that follows carries this connection's session.
    this.link.on('up', () => {
      this.current = sessions.connected();
    });
  }

  /** The session of the connection that is up, or of the last one. */
  get session(): number {
    return this.current;
  }
}
