import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type EmbeddedBroker } from '../sim/broker.js';
import { killAll } from './helpers/agent-process.js';
import { networkTerminal, type NetworkTerminal } from './helpers/network-terminal.js';
import { removeTempDirs } from '../sim/temp-dirs.js';
import { requireTool } from '../sim/tools.js';

/**
 * NET_HIGH_LATENCY through the built agent. The slow probe host lets a connect through at the
 * client's second or third SYN, 2 to 3 s after the first, so polls here are 4 s long and the probe
 * may take 3.5 s; the fault needs 3 slow polls with the default thresholds.
 */

const socat = requireTool('socat', 'the network latency end-to-end test (the modem is on a pseudo-terminal)');

let broker: EmbeddedBroker;
let net: NetworkTerminal | undefined;
beforeAll(async () => {
  broker = await startBroker();
});
afterEach(async () => {
  killAll();
  await net?.stop();
  net = undefined;
});
afterAll(async () => {
  await broker.close();
  removeTempDirs();
});

describe.skipIf(!socat)('pos-agent run: acquirer host latency', () => {
  it('raises NET_HIGH_LATENCY after 3 slow probes and clears it on a fast one', async () => {
    net = await networkTerminal({ brokerUrl: broker.url, socat: socat!, pollSeconds: 4, probeTimeoutMs: 3_500 });
    const { probeHost, recorder } = net;
    const agent = net.start();
    const fast = await recorder.waitForJson('heartbeat', 'a heartbeat with a probe', (json) => json.network?.probeRttMs !== undefined);
    expect(fast.network.probeRttMs).toBeLessThan(1_000);

    await probeHost.setMode('slow');
    const raise = await recorder.waitForJson('fault', 'NET_HIGH_LATENCY raised', (json) => json.code === 'NET_HIGH_LATENCY' && json.state === 'raised', 25_000);
    expect(raise).toMatchObject({ device: 'network', severity: 'warning', detail: { host: '127.0.0.1' } });
    expect(raise.detail.rttMs).toBeGreaterThanOrEqual(1_500);
    // The heartbeats before the raise already carried the slow round trips.
    const slowBeats = recorder.of('heartbeat').filter((json) => json.ts <= raise.ts && json.network?.probeRttMs >= 1_500);
    expect(slowBeats.length).toBeGreaterThan(0);
    const snapshot = await recorder.waitForJson('faults', 'DEGRADED by latency', (json) => json.reasons.includes('NET_HIGH_LATENCY'));
    expect(snapshot).toMatchObject({ availability: 'DEGRADED', reasons: ['NET_HIGH_LATENCY'] });
    expect(recorder.of('fault').some((json) => json.code === 'NET_HOST_UNREACHABLE')).toBe(false);

    await probeHost.setMode('accept');
    const clear = await recorder.waitForJson('fault', 'NET_HIGH_LATENCY cleared', (json) => json.state === 'cleared' && json.id === raise.id, 15_000);
    expect(clear.detail.rttMs).toBeLessThan(1_000);
    await recorder.waitForJson('faults', 'IN_SERVICE again', (json) => json.availability === 'IN_SERVICE' && json.ts >= clear.ts);

    agent.kill('SIGTERM');
    expect((await agent.waitExit(5_000)).code).toBe(0);
  });
});
