import { createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as z from '../protocol/schema.js';
import { ALWAYS_POLLED, allThresholdDefaults, DEVICES } from '../drivers/index.js';
import { thresholdsSchema } from '../drivers/thresholds.js';
import { DEVICE_NAMES, type DeviceName } from '../protocol/devices.js';
import { LOG_LEVELS } from '../protocol/log-levels.js';
import { jsonSyntaxError } from './json-syntax.js';

export { LOG_LEVELS, type LogLevel } from '../protocol/log-levels.js';

/**
 * The one schema of the config file (SPEC.md section 3). The TypeScript type is derived from it,
 * so the two cannot drift. Unknown keys are errors: a typo must not silently disable a device.
 */

const BROKER_PROTOCOLS = new Set(['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'tls:', 'ws:', 'wss:']);

function isBrokerUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return BROKER_PROTOCOLS.has(url.protocol) && url.hostname !== '';
  } catch {
    return false;
  }
}

/** A technician's key as the `keygen` command prints it: an Ed25519 public key in PEM. */
function isEd25519PublicKey(pem: string): boolean {
  try {
    return createPublicKey(pem).asymmetricKeyType === 'ed25519';
  } catch {
    return false;
  }
}

const devicesShape: Record<string, z.ZodMiniType> = {};
for (const name of DEVICE_NAMES) {
  const module = DEVICES[name];
  if (module) devicesShape[name] = z.optional(module.config);
}

/** A string that must not be empty. */
const text = () => z.string().check(z.minLength(1));

const mqttSchema = z.strictObject({
  url: z.string().check(z.refine(isBrokerUrl, 'not a broker URL (mqtt://, mqtts://, ws:// or wss:// with a host)')),
  protocolVersion: z._default(z.union([z.literal(4), z.literal(5)]), 5),
  topicRoot: z._default(
    z.string().check(z.regex(/^[^/#+\s](?:[^#+\s]*[^/#+\s])?$/, 'a topic prefix without wildcards, spaces, or a leading or trailing slash')),
    'pos/v1',
  ),
  username: z.optional(z.string()),
  password: z.optional(z.string()),
  ca: z.optional(text()),
  cert: z.optional(text()),
  key: z.optional(text()),
  keepaliveSeconds: z._default(z.int().check(z.gte(5), z.lte(65_535)), 300),
  /** A cap on the outbox's send rate, for a backlog after an outage on a thin link; none by default. */
  drainBytesPerSecond: z.optional(z.int().check(z.gte(100), z.lte(1_000_000_000))),
});

export const configSchema = z
  .strictObject({
    terminalId: z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, '1 to 64 letters, digits, "_" or "-"')),
    mqtt: mqttSchema,
    heartbeatSeconds: z._default(z.number().check(z.gte(1), z.lte(86_400)), 900),
    stateDir: z._default(text(), '/var/lib/pos-agent'),
    logDir: z._default(text(), '/var/log/pos-agent'),
    logLevel: z._default(z.enum(LOG_LEVELS), 'info'),
    logFiles: z._default(
      z.strictObject({
        maxBytes: z._default(z.int().check(z.gte(64 * 1024), z.lte(256 * 1024 * 1024)), 1024 * 1024),
        count: z._default(z.int().check(z.gte(2), z.lte(50)), 5),
      }),
      { maxBytes: 1024 * 1024, count: 5 },
    ),
    sysfsRoot: z._default(text(), '/sys'),
    procRoot: z._default(text(), '/proc'),
    technicianKeys: z._default(
      z.array(
        z.strictObject({
          kid: z.string().check(z.minLength(1), z.maxLength(128)),
          publicKey: z.string().check(z.refine(isEd25519PublicKey, 'not an Ed25519 public key in PEM (-----BEGIN PUBLIC KEY-----)')),
        }),
      ),
      [],
    ),
    devices: z._default(z.strictObject(devicesShape), {}),
    thresholds: thresholdsSchema(allThresholdDefaults()),
    outbox: z._default(
      z.strictObject({ maxBytes: z._default(z.int().check(z.gte(64 * 1024), z.lte(1024 * 1024 * 1024)), 8 * 1024 * 1024) }),
      { maxBytes: 8 * 1024 * 1024 },
    ),
  })
  .check(
    z.superRefine((config, context) => {
      if (Boolean(config.mqtt.cert) !== Boolean(config.mqtt.key)) {
        context.issues.push({
          code: 'custom',
          path: ['mqtt', config.mqtt.cert ? 'key' : 'cert'],
          message: 'a client certificate needs both cert and key',
          input: config.mqtt,
        });
      }
      const seen = new Set<string>();
      config.technicianKeys.forEach((key, index) => {
        if (seen.has(key.kid)) {
          context.issues.push({ code: 'custom', path: ['technicianKeys', index, 'kid'], message: `kid ${key.kid} is listed twice`, input: key.kid });
        }
        seen.add(key.kid);
      });
    }),
  );

export type AgentConfig = z.output<typeof configSchema>;

export interface ConfigProblem {
  /** Where the problem is, as a JSON path: `devices.battery.pollSeconds`, `technicianKeys[0].kid`. */
  path: string;
  message: string;
}

export type ConfigResult = { ok: true; config: AgentConfig } | { ok: false; problems: ConfigProblem[] };

const ENV_OVERRIDES: [variable: string, key: 'url' | 'username' | 'password'][] = [
  ['POS_AGENT_MQTT_URL', 'url'],
  ['POS_AGENT_MQTT_USERNAME', 'username'],
  ['POS_AGENT_MQTT_PASSWORD', 'password'],
];

/** Validates a parsed config; environment variables override the broker URL and credentials. */
export function parseConfig(input: unknown, env: NodeJS.ProcessEnv = process.env, baseDir = process.cwd()): ConfigResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, problems: [{ path: '$', message: 'the config must be a JSON object' }] };
  }
  const raw = structuredClone(input) as Record<string, unknown>;
  for (const [variable, key] of ENV_OVERRIDES) {
    const value = env[variable];
    if (value === undefined || value === '') continue;
    const mqtt = typeof raw.mqtt === 'object' && raw.mqtt !== null ? (raw.mqtt as Record<string, unknown>) : {};
    raw.mqtt = { ...mqtt, [key]: value };
  }

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.flatMap(describeIssue) };

  const config = resolvePaths(parsed.data, baseDir);
  const problems = checkFiles(config);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, config };
}

/** Reads and validates a config file; every problem comes back, each with its path. */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): ConfigResult {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    return { ok: false, problems: [{ path: '$', message: `cannot read ${file}: ${(error as Error).message}` }] };
  }
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [{ path: '$', message: `not valid JSON: ${jsonErrorWhere(text)}` }] };
  }
  return parseConfig(input, env, path.dirname(path.resolve(file)));
}

/** The devices this config polls: the configured ones and those that are always polled. */
export function polledDevices(config: AgentConfig): DeviceName[] {
  return DEVICE_NAMES.filter(
    (name) =>
      ALWAYS_POLLED.includes(name) ||
      (config.devices as Record<string, unknown>)[name] !== undefined ||
      // The MQTT link's certificates are checked whenever it has any (SPEC.md section 3).
      (name === 'certificates' && (config.mqtt.ca !== undefined || config.mqtt.cert !== undefined)),
  );
}

export function formatProblems(problems: ConfigProblem[]): string {
  return problems.map((problem) => `${problem.path}: ${problem.message}`).join('\n');
}

function describeIssue(issue: z.core.$ZodIssue): ConfigProblem[] {
  const at = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: 'unknown key' }));
  }
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) {
    return [{ path: at, message: `required (${issue.expected})` }];
  }
  return [{ path: at, message: issue.message }];
}

function formatPath(segments: readonly PropertyKey[]): string {
  if (segments.length === 0) return '$';
  return segments
    .map((segment, index) => (typeof segment === 'number' ? `[${segment}]` : `${index > 0 ? '.' : ''}${String(segment)}`))
    .join('');
}

/** Relative paths in a config file are relative to the file, not to the folder the agent started in. */
function resolvePaths(config: AgentConfig, baseDir: string): AgentConfig {
  const resolve = (value: string) => path.resolve(baseDir, value);
  const mqtt = { ...config.mqtt };
  for (const key of ['ca', 'cert', 'key'] as const) {
    const value = mqtt[key];
    if (value !== undefined) mqtt[key] = resolve(value);
  }
  return {
    ...config,
    mqtt,
    stateDir: resolve(config.stateDir),
    logDir: resolve(config.logDir),
    sysfsRoot: resolve(config.sysfsRoot),
    procRoot: resolve(config.procRoot),
  };
}

function checkFiles(config: AgentConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const key of ['ca', 'cert', 'key'] as const) {
    const file = config.mqtt[key];
    if (file === undefined) continue;
    try {
      fs.accessSync(file, fs.constants.R_OK);
    } catch (error) {
      problems.push({ path: `mqtt.${key}`, message: `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}` });
    }
  }
  return problems;
}

/** Line, column and what is wrong, never the text around it (it may hold a password). */
function jsonErrorWhere(text: string): string {
  const broken = jsonSyntaxError(text);
  return broken ? `${broken.problem} at line ${broken.line}, column ${broken.column}` : 'unreadable';
}
