import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type EmbeddedBroker } from '../sim/broker.js';
import { ProbeHost } from '../sim/probe-host.js';
import { removeTempDirs } from '../sim/temp-dirs.js';
import { killAll, type AgentProcess } from './helpers/agent-process.js';
import { commandedTerminal } from './helpers/tech-setup.js';

/**
 * A healthy terminal at the default settings, the way a cellular plan sees it: the built agent
 * publishes one heartbeat per `heartbeatSeconds` (900 s: here, the first and no other), and does
 * not probe the acquirer while the payment application holds an established connection to it
 * (a line in `{procRoot}/net/tcp`). The probe host counts the connections it accepts. Byte
 * figures are the benchmark's (`npm run bench wire`).
 */

let broker: EmbeddedBroker;
let probeHost: ProbeHost;
let agent: AgentProcess | undefined;
beforeAll(async () => {
  broker = await startBroker();
  probeHost = await ProbeHost.start();
});
afterEach(() => killAll());
afterAll(async () => {
  await probeHost.close();
  await broker.close();
  removeTempDirs();
});

const hex = (port: number) => port.toString(16).toUpperCase().padStart(4, '0');

describe('a healthy terminal at the default settings', () => {
  it('publishes one heartbeat per interval and no probe while the acquirer connection is established', async () => {
    const t = await commandedTerminal(broker.url, {
      change(config) {
        delete config.heartbeatSeconds;
        delete config.mqtt.keepaliveSeconds;
        for (const device of Object.values(config.devices as Record<string, Record<string, unknown>>)) delete device.pollSeconds;
        config.devices.network = { interface: 'wwan0', probe: { host: probeHost.host, port: probeHost.port } };
      },
    });
    // The payment application's connection to the acquirer, as the kernel lists it.
    t.terminal.proc.write(
      'net/tcp',
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
        `   0: 0100007F:C350 0100007F:${hex(probeHost.port)} 01 00000000:00000000 00:00000000 00000000  1000        0 4242 1\n`,
    );
    agent = t.start();
    const birth = await t.recorder.waitForJson('state', 'birth', (json) => json.online === true, 30_000);
    expect(birth.heartbeatSeconds).toBe(900);
    await t.recorder.waitForJson('heartbeat', 'the first heartbeat', () => true, 30_000);

    // Three network polls at the default 10 s, counted by the agent itself.
    let polls = 0;
    while (polls < 3) {
      const status = await t.client('status', '--json');
      expect(status.code, status.stderr).toBe(0);
      const network = JSON.parse(status.stdout).devices.network;
      polls = network.polls?.polls ?? 0;
      if (polls > 0) expect(network.reading.probe).toMatchObject({ ok: true, by: 'connection' });
    }
    expect(probeHost.accepted).toBe(0);
    expect(t.recorder.of('heartbeat')).toHaveLength(1);

    // The count is live: a self-test probes whatever the schedule says.
    const diag = await t.client('diag', '--device', 'network', '--json');
    expect(JSON.parse(diag.stdout).devices.network.detail.probe).toMatchObject({ ok: true });
    await expect.poll(() => probeHost.accepted, { timeout: 5_000 }).toBe(1);
    expect(t.recorder.of('heartbeat')).toHaveLength(1);
    await t.recorder.close();
  }, 120_000);
});
