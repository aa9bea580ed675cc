import fs from 'node:fs';
import path from 'node:path';
import { parseConfig, type AgentConfig } from '../agent/config.js';
import { freePort, Mosquitto } from '../sim/mosquitto.js';
import { makePki } from '../sim/pki.js';
import { ProbeHost } from '../sim/probe-host.js';
import { tempDir } from '../sim/temp-dirs.js';
import { SimTerminal } from '../sim/terminal.js';
import { findTool } from '../sim/tools.js';
import type { BenchContext, Figure } from './index.js';
import { AgentProcess, backEnd, benchTools, sleep } from './rig.js';
import { Capture } from './wire-capture.js';
import { account, CATEGORIES, emptyLedger, total, type Category, type Ledger } from './wire-ledger.js';
import { parseKeyLog } from './wire-tls.js';

/**
 * Bytes on the wire as a carrier bills them: every IP packet both ways between the agent and a
 * mosquitto broker over mutual TLS, and between the agent and the acquirer's host, captured with
 * tcpdump on the loopback while a healthy terminal with every device runs at the default
 * settings. The agent writes its TLS secrets to a key log, so each encrypted byte is put down to
 * the MQTT packet it carries. Measured: start-up (connect, TLS handshake, retained snapshots, the
 * first heartbeat) and one full heartbeat interval after it; the day is that interval scaled,
 * plus one start-up. A quick run shortens the heartbeat and keepalive intervals fifteenfold (same
 * ratio) and composes the day from the per-event costs it measured.
 */

const DAY = 86_400;
const BUDGET_KIB = 200;
const QUICK_FACTOR = 15;
const SETTLE_SECONDS = 1;

export async function wireSection(context: BenchContext): Promise<Figure[]> {
  const tools = benchTools();
  const tcpdump = findTool('tcpdump');
  const openssl = findTool('openssl');
  if (typeof tools === 'string' || !tcpdump || !openssl) {
    return [{ name: 'bytes on the wire', unit: 'KiB/day', skipped: typeof tools === 'string' ? tools : 'needs tcpdump and openssl (apt-get install tcpdump openssl)' }];
  }
  // mosquitto started as root reads its files as the user "mosquitto".
  const pkiDir = tempDir('pki-');
  fs.chmodSync(pkiDir, 0o755);
  const pki = makePki(openssl, pkiDir, ['BENCH-WIRE'], 365);
  for (const name of fs.readdirSync(pkiDir)) fs.chmodSync(path.join(pkiDir, name), 0o644);
  const plainPort = await freePort();
  // The agent speaks TLS on the broker's first listener; the bench's subscriber uses a plain
  // one, outside the capture.
  const broker = await Mosquitto.start(tools.mosquitto, {
    extra: [`cafile ${pki.ca}`, `certfile ${pki.server.cert}`, `keyfile ${pki.server.key}`, 'require_certificate true', `listener ${plainPort} 127.0.0.1`],
  });
  const probeHost = await ProbeHost.start();
  const terminal = new SimTerminal(path.join(context.dir, 'terminal'));
  await terminal.attachDevices({ kind: 'pty', socat: tools.socat }, probeHost);
  await terminal.attachCertificate();
  const config = defaultsConfig(terminal, `mqtts://127.0.0.1:${broker.port}`, pki.ca, pki.clients['BENCH-WIRE']!);
  const defaults = checked(config);
  if (context.quick) {
    config.heartbeatSeconds = defaults.heartbeatSeconds / QUICK_FACTOR;
    config.mqtt.keepaliveSeconds = Math.max(5, Math.round(defaults.mqtt.keepaliveSeconds / QUICK_FACTOR));
  }
  const configFile = path.join(terminal.dir, 'agent.json');
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
  const { heartbeatSeconds, mqtt: { keepaliveSeconds } } = checked(config);

  const subscriber = await backEnd(`mqtt://127.0.0.1:${plainPort}`, 'pos/v1/BENCH-WIRE/+');
  const keyLogFile = path.join(context.dir, 'tls-keys.log');
  const capture = await Capture.start(tcpdump, path.join(context.dir, 'wire.pcap'), [broker.port, probeHost.port]);
  const startedAt = Date.now() / 1000;
  const agent = new AgentProcess(configFile, undefined, { NODE_OPTIONS: `--tls-keylog=${keyLogFile}` });
  try {
    const first = await subscriber.waitFor('first heartbeat', (m) => m.topic.endsWith('/heartbeat'), 60_000);
    const steadyFrom = (performance.timeOrigin + first.at) / 1000 + SETTLE_SECONDS;
    // At least one whole heartbeat interval; a quick run's short intervals, for at least a minute.
    const windowSeconds = heartbeatSeconds * (context.quick ? Math.ceil(60 / heartbeatSeconds) : 1);
    const steadyTo = steadyFrom + windowSeconds;
    context.progress(`first heartbeat after ${Math.round(steadyFrom - startedAt)} s; capturing ${windowSeconds} s (heartbeat ${heartbeatSeconds} s, keepalive ${keepaliveSeconds} s)`);
    await sleep((steadyTo + SETTLE_SECONDS) * 1000 - Date.now());
    const connections = await capture.stop([broker.port, probeHost.port]);
    const keyLog = parseKeyLog(fs.readFileSync(keyLogFile, 'utf8'));
    const startup = account(emptyLedger(), connections, probeHost.port, keyLog, { from: 0, to: steadyFrom });
    const steady = account(emptyLedger(), connections, probeHost.port, keyLog, { from: steadyFrom, to: steadyTo });
    const whole = account(emptyLedger(), connections, probeHost.port, keyLog, { from: 0, to: Infinity });
    const raised = subscriber.messages.filter((m) => m.topic.endsWith('/fault') && m.json.state === 'raised').map((m) => m.json.code as string);
    // A healthy terminal raises nothing; a fault here would make the figures those of a sick one.
    if (raised.length > 0) throw new Error(`the terminal is not healthy: ${raised.join(', ')} raised`);
    return figures({ startup, steady, whole, windowSeconds, heartbeatSeconds, keepaliveSeconds, defaults, quick: context.quick });
  } finally {
    await capture.stop([broker.port, probeHost.port]).catch(() => undefined);
    await agent.stop();
    await subscriber.close();
    await terminal.close();
    await probeHost.close();
    await broker.stop();
  }
}

/** Every device of the simulated terminal, each setting left to its default. */
function defaultsConfig(terminal: SimTerminal, url: string, ca: string, client: { cert: string; key: string }): Record<string, any> {
  const config = terminal.agentConfig({ brokerUrl: url, terminalId: 'BENCH-WIRE' }) as Record<string, any>;
  config.mqtt = { url, ca, cert: client.cert, key: client.key };
  delete config.heartbeatSeconds;
  delete config.logLevel;
  for (const device of Object.values(config.devices as Record<string, Record<string, any>>)) {
    delete device.pollSeconds;
    if (device.probe) delete device.probe.answeringSeconds;
  }
  return config;
}

function checked(config: unknown): AgentConfig {
  const parsed = parseConfig(config);
  if (!parsed.ok) throw new Error(`the bench's config is refused: ${JSON.stringify(parsed.problems)}`);
  return parsed.config;
}

interface Measured {
  startup: Ledger;
  steady: Ledger;
  whole: Ledger;
  windowSeconds: number;
  heartbeatSeconds: number;
  keepaliveSeconds: number;
  defaults: AgentConfig;
  quick: boolean;
}

const LABELS: Record<Category, string> = {
  heartbeat: 'heartbeats (PUBLISH + PUBACK)',
  keepalive: 'keepalives (PINGREQ + PINGRESP)',
  snapshot: 'retained snapshots (state, faults)',
  fault: 'fault messages',
  command: 'commands and replies',
  session: 'MQTT session (CONNECT, SUBSCRIBE), TCP open/close',
  handshake: 'TLS handshake',
  probe: 'acquirer probes (TCP connects)',
};

function figures({ startup, steady, whole, windowSeconds, heartbeatSeconds, keepaliveSeconds, defaults, quick }: Measured): Figure[] {
  const scale = DAY / windowSeconds;
  const defaultScale = DAY / defaults.heartbeatSeconds;
  const out: Figure[] = [];
  const layers = (ledger: Ledger, category: Category) => {
    const { mqtt, tls, tcpip } = ledger.tallies[category].bytes;
    return `MQTT ${Math.round(mqtt)} B, TLS ${Math.round(tls)} B, TCP/IP ${Math.round(tcpip)} B, ${ledger.tallies[category].packets} packets`;
  };
  for (const category of CATEGORIES) {
    const bytes = total(steady, category);
    if (bytes === 0) continue;
    out.push({ name: `window: ${LABELS[category]}`, value: Math.round(bytes), unit: 'B', note: layers(steady, category) });
  }
  out.push({ name: 'window: all', value: Math.round(total(steady)), unit: 'B', note: `${windowSeconds} s after start-up; heartbeat ${heartbeatSeconds} s, keepalive ${keepaliveSeconds} s` });
  out.push({ name: 'start-up: all', value: Math.round(total(startup)), unit: 'B', note: CATEGORIES.filter((c) => total(startup, c) > 0).map((c) => `${c} ${Math.round(total(startup, c))}`).join(', ') });

  // Per-event costs over the whole capture, each with its PUBACK or PINGRESP and the ACKs.
  const perEvent = (category: Category, count: number) => (count > 0 ? total(whole, category) / count : 0);
  const heartbeat = perEvent('heartbeat', whole.events.heartbeat);
  const keepalive = perEvent('keepalive', whole.events.keepalive);
  const probe = perEvent('probe', whole.events.probe);
  out.push({ name: 'per heartbeat', value: Math.round(heartbeat), unit: 'B', note: `IP bytes both ways, ${whole.events.heartbeat} measured; ${layers(whole, 'heartbeat')}` });
  out.push({ name: 'per keepalive', value: Math.round(keepalive), unit: 'B', note: `${whole.events.keepalive} measured` });
  out.push({ name: 'per probe', value: Math.round(probe), unit: 'B', note: `${whole.events.probe} measured; ${whole.tallies.probe.packets} packets` });

  const startupBytes = total(startup) - total(startup, 'probe') - total(startup, 'heartbeat');
  const measuredDay = total(steady) * scale + startupBytes;
  // Composition from the defaults' counts: a publish restarts MQTT.js's keepalive timer, so a
  // heartbeat interval holds ceil(H / K) − 1 pings.
  const pingsPerInterval = Math.max(0, Math.ceil(defaults.heartbeatSeconds / defaults.mqtt.keepaliveSeconds) - 1);
  // While the host answers, one probe per probe.answeringSeconds (drivers/network/probe-schedule.ts).
  const answeringSeconds = (defaults.devices.network as { probe?: { answeringSeconds?: number } } | undefined)?.probe?.answeringSeconds;
  const probesPerDay = answeringSeconds ? DAY / answeringSeconds : steady.events.probe * scale;
  const composedDay = defaultScale * (heartbeat + pingsPerInterval * keepalive) + probesPerDay * probe + startupBytes;
  const note = (bytes: number) => `${Math.round((bytes * 8) / DAY * 10) / 10} bit/s; target ≤ ${BUDGET_KIB} KiB/day`;
  out.push({
    name: 'per day, composed',
    value: kib(composedDay),
    unit: 'KiB',
    note: `${note(composedDay)}: ${Math.round(defaultScale)} heartbeats × ${Math.round(heartbeat)} B + ${Math.round(defaultScale * pingsPerInterval)} keepalives × ${Math.round(keepalive)} B + ${Math.round(probesPerDay)} probes × ${Math.round(probe)} B + one connect ${Math.round(startupBytes)} B`,
  });
  out.push({
    name: quick ? 'per day, window scaled (shortened intervals)' : 'per day, window scaled',
    value: kib(measuredDay),
    unit: 'KiB',
    note: `${note(measuredDay)}; ${steady.events.heartbeat} heartbeats, ${steady.events.keepalive} keepalives, ${steady.events.probe} probes in the window, + one connect`,
  });
  return out;
}

const kib = (bytes: number) => Math.round((bytes / 1024) * 10) / 10;

