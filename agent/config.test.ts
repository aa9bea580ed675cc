import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig, polledDevices } from './config.js';

const minimal = { terminalId: 'T-000123', mqtt: { url: 'mqtt://127.0.0.1:1883' } };
const publicPem = (type: 'ed25519' | 'ed448') =>
  (type === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ed448')).publicKey.export({ type: 'spki', format: 'pem' }).toString();

function problems(input: unknown, env: NodeJS.ProcessEnv = {}) {
  const result = parseConfig(input, env, '/etc/pos-agent');
  return result.ok ? [] : result.problems;
}

describe('config', () => {
  it('fills the defaults of SPEC.md section 3', () => {
    const result = parseConfig(minimal, {}, '/etc/pos-agent');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { config } = result;
    // Chosen for a cellular plan paid per byte (SPEC.md section 3).
    expect(config.mqtt).toMatchObject({ protocolVersion: 5, topicRoot: 'pos/v1', keepaliveSeconds: 300 });
    expect(config).toMatchObject({
      heartbeatSeconds: 900,
      stateDir: '/var/lib/pos-agent',
      logDir: '/var/log/pos-agent',
      logLevel: 'info',
      sysfsRoot: '/sys',
      procRoot: '/proc',
      technicianKeys: [],
      devices: {},
      outbox: { maxBytes: 8 * 1024 * 1024 },
      logFiles: { maxBytes: 1024 * 1024, count: 5 },
    });
    expect(polledDevices(config)).toEqual(['system']);
  });

  it('lists every problem with its JSON path', () => {
    const found = problems({
      terminalId: 'bad id!',
      mqtt: { protocolVersion: 3, extra: true },
      heartbeatSeconds: -5,
      devices: { batery: {}, battery: { pollSeconds: -1 } },
      thresholds: { BATTERY_LOW: { raisePercnt: 10 }, NO_SUCH_FAULT: {} },
      technicianKeys: [{ kid: '', publicKey: 'x' }],
    });
    const paths = found.map((problem) => problem.path).sort();
    expect(paths).toEqual(
      [
        'terminalId',
        'mqtt.url',
        'mqtt.protocolVersion',
        'mqtt.extra',
        'heartbeatSeconds',
        'devices.batery',
        'devices.battery.pollSeconds',
        'thresholds.BATTERY_LOW.raisePercnt',
        'thresholds.NO_SUCH_FAULT',
        'technicianKeys[0].kid',
        'technicianKeys[0].publicKey',
      ].sort(),
    );
    expect(found.find((problem) => problem.path === 'mqtt.url')!.message).toMatch(/required/);
    expect(found.find((problem) => problem.path === 'devices.batery')!.message).toBe('unknown key');
  });

  it('rejects a broker URL that is not one', () => {
    expect(problems({ ...minimal, mqtt: { url: 'http://broker' } }).map((p) => p.path)).toEqual(['mqtt.url']);
    expect(problems({ ...minimal, mqtt: { url: 'not a url' } }).map((p) => p.path)).toEqual(['mqtt.url']);
  });

  it('takes the URL and credentials from the environment over the file', () => {
    const result = parseConfig(
      { terminalId: 'T1', mqtt: { url: 'mqtt://file:1883', username: 'file' } },
      { POS_AGENT_MQTT_URL: 'mqtts://env:8883', POS_AGENT_MQTT_USERNAME: 'env', POS_AGENT_MQTT_PASSWORD: 'secret' },
    );
    expect(result.ok && result.config.mqtt).toMatchObject({ url: 'mqtts://env:8883', username: 'env', password: 'secret' });
    // Even a file without any mqtt section is complete with the environment's URL.
    expect(parseConfig({ terminalId: 'T1' }, { POS_AGENT_MQTT_URL: 'mqtt://env:1883' }).ok).toBe(true);
  });

  it('needs a client certificate and its key together, and checks that files are readable', () => {
    expect(problems({ ...minimal, mqtt: { ...minimal.mqtt, cert: '/nonexistent.pem' } }).map((p) => p.path)).toEqual(['mqtt.key']);
    const missing = problems({ ...minimal, mqtt: { ...minimal.mqtt, ca: '/nonexistent/ca.pem' } });
    expect(missing).toEqual([{ path: 'mqtt.ca', message: 'cannot read /nonexistent/ca.pem: ENOENT' }]);
  });

  it('refuses a kid listed twice', () => {
    const keys = [
      { kid: 'a', publicKey: publicPem('ed25519') },
      { kid: 'a', publicKey: publicPem('ed25519') },
    ];
    expect(problems({ ...minimal, technicianKeys: keys }).map((p) => p.path)).toEqual(['technicianKeys[1].kid']);
  });

  it('takes only Ed25519 public keys in PEM as technician keys', () => {
    expect(problems({ ...minimal, technicianKeys: [{ kid: 'ok', publicKey: publicPem('ed25519') }] })).toEqual([]);
    const refused = problems({ ...minimal, technicianKeys: [{ kid: 'other', publicKey: publicPem('ed448') }, { kid: 'text', publicKey: 'ssh-ed25519 AAAA' }] });
    expect(refused.map((p) => p.path)).toEqual(['technicianKeys[0].publicKey', 'technicianKeys[1].publicKey']);
    expect(refused[0]!.message).toMatch(/Ed25519/);
  });

  it('bounds the log files', () => {
    expect(problems({ ...minimal, logFiles: { maxBytes: 1024, count: 1 } }).map((p) => p.path)).toEqual(['logFiles.maxBytes', 'logFiles.count']);
    const result = parseConfig({ ...minimal, logFiles: { count: 10 } }, {}, '/etc');
    expect(result.ok && result.config.logFiles).toEqual({ maxBytes: 1024 * 1024, count: 10 });
  });

  it('refuses a topic root with wildcards or slashes at its ends', () => {
    for (const topicRoot of ['pos/#', '/pos', 'pos/', 'a+b', 'with space']) {
      expect(problems({ ...minimal, mqtt: { ...minimal.mqtt, topicRoot } }).map((p) => p.path)).toEqual(['mqtt.topicRoot']);
    }
  });

  it('resolves relative folders against the config file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'config-'));
    try {
      const file = path.join(dir, 'agent.json');
      fs.writeFileSync(file, JSON.stringify({ ...minimal, stateDir: 'state', sysfsRoot: './sys' }));
      const result = loadConfig(file, {});
      expect(result.ok && [result.config.stateDir, result.config.sysfsRoot]).toEqual([path.join(dir, 'state'), path.join(dir, 'sys')]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says where a JSON syntax error is', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'config-'));
    try {
      const file = path.join(dir, 'agent.json');
      fs.writeFileSync(file, '{\n  "terminalId": "T1",\n  "mqtt": { "url": "mqtt://x" },,\n}');
      const result = loadConfig(file, {});
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.problems[0]!.message).toMatch(/line 3, column \d+/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says when the file cannot be read or is not an object', () => {
    expect(loadConfig('/nonexistent/agent.json', {})).toMatchObject({ ok: false, problems: [{ path: '$' }] });
    expect(problems([1, 2])).toEqual([{ path: '$', message: 'the config must be a JSON object' }]);
  });
});
