import path from 'node:path';
import { parseCommandArgs } from '../basics/args.js';
import { AgentError } from '../basics/errors.js';

/** The options of fleet mode (`pos-agent sim --terminals N --broker URL …`), checked; a bad one is a usage error. */
export interface FleetOptions {
  terminals: number;
  /** The number of the first terminal (`FLEET-000001` is 1), so that fleet processes sharing a broker do not collide. */
  firstId: number;
  broker: string;
  durationSeconds?: number;
  heartbeatSeconds: number;
  faultsPerMinute: number;
  faultSeconds: number;
  protocolVersion: 4 | 5;
  batch: number;
  dir?: string;
  json?: string;
  keep: boolean;
}

export function parseFleetOptions(args: string[]): FleetOptions {
  const { values } = parseCommandArgs(args, {
    terminals: { type: 'string' },
    'first-id': { type: 'string' },
    broker: { type: 'string' },
    duration: { type: 'string' },
    'heartbeat-seconds': { type: 'string' },
    'faults-per-minute': { type: 'string' },
    'fault-seconds': { type: 'string' },
    protocol: { type: 'string' },
    batch: { type: 'string' },
    dir: { type: 'string' },
    json: { type: 'string' },
    keep: { type: 'boolean' },
  });
  if (!values.broker) throw new AgentError('USAGE', 'fleet mode needs --broker URL (mqtt://host:port)');
  if (!/^(mqtts?|tcp|ssl|tls|wss?):\/\/[^/]/.test(values.broker)) throw new AgentError('USAGE', `--broker ${values.broker} is not a broker URL (mqtt://host:port)`);
  const protocolVersion = values.protocol === undefined ? 5 : Number(values.protocol);
  if (protocolVersion !== 4 && protocolVersion !== 5) throw new AgentError('USAGE', '--protocol is 4 (MQTT 3.1.1) or 5');
  return {
    terminals: number(values.terminals, '--terminals', { min: 1, max: 100_000, integer: true }),
    firstId: number(values['first-id'] ?? '1', '--first-id', { min: 1, max: 999_999_999, integer: true }),
    broker: values.broker,
    durationSeconds: values.duration === undefined ? undefined : number(values.duration, '--duration', { min: 1, max: 7 * 86_400 }),
    heartbeatSeconds: number(values['heartbeat-seconds'] ?? '60', '--heartbeat-seconds', { min: 1, max: 86_400 }),
    faultsPerMinute: number(values['faults-per-minute'] ?? '60', '--faults-per-minute', { min: 0, max: 60_000 }),
    faultSeconds: number(values['fault-seconds'] ?? '10', '--fault-seconds', { min: 0.1, max: 86_400 }),
    protocolVersion,
    batch: number(values.batch ?? '50', '--batch', { min: 1, max: 10_000, integer: true }),
    dir: values.dir,
    json: values.json === undefined ? undefined : path.resolve(values.json),
    keep: values.keep ?? false,
  };
}

function number(text: string | undefined, flag: string, range: { min: number; max: number; integer?: boolean }): number {
  const value = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isFinite(value) || value < range.min || value > range.max || (range.integer && !Number.isInteger(value))) {
    throw new AgentError('USAGE', `${flag} is ${range.integer ? 'a whole number' : 'a number'} from ${range.min} to ${range.max}`);
  }
  return value;
}
