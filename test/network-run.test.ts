import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type EmbeddedBroker } from '../sim/broker.js';
import { killAll } from './helpers/agent-process.js';
import { networkTerminal, type NetworkTerminal } from './helpers/network-terminal.js';
import { removeTempDirs } from '../sim/temp-dirs.js';
import { requireTool } from '../sim/tools.js';

/**
 * The built `pos-agent run` with a cellular interface: the modem simulator on a pseudo-terminal,
 * the net class tree in a temp folder, the acquirer's host on loopback. Every network fault but
 * NET_HIGH_LATENCY (network-latency.test.ts, which needs longer polls) is injected and cleared,
 * and checked where a fleet back end sees it.
 */

const socat = requireTool('socat', 'the network end-to-end test (the modem is on a pseudo-terminal)');

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

const raised = (code: string) => (json: any) => json.code === code && json.state === 'raised';

describe.skipIf(!socat)('pos-agent run with the network device', () => {
  it('raises and clears every link, SIM, registration, signal, modem and reachability fault', async () => {
    net = await networkTerminal({ brokerUrl: broker.url, socat: socat!, pollSeconds: 1, probeTimeoutMs: 3_000, modem: { urcEveryMs: 400, urcInAnswer: 0.3 } });
    const { network, modem, probeHost, recorder } = net;
    const agent = net.start();

    /** The highest seq received so far: what comes after an injection is newer. */
    const lastSeq = () => Math.max(0, ...recorder.of('fault').map((json) => json.seq));

    /** Injects, waits for the raise and the verdict, undoes, waits for the clear with the same id. */
    async function episode(
      code: string,
      inject: () => unknown,
      undo: () => unknown,
      verdict: { availability: string; reasons: string[] },
      meanwhile: (raise: any) => Promise<void> = async () => {},
    ) {
      const before = lastSeq();
      await inject();
      const raise = await recorder.waitForJson('fault', `${code} raised`, (json) => raised(code)(json) && json.seq > before);
      expect(raise).toMatchObject({ device: 'network', code });
      const snapshot = await recorder.waitForJson('faults', `${verdict.availability} with ${verdict.reasons}`, (json) =>
        json.ts >= raise.ts && json.reasons.join() === verdict.reasons.join());
      expect(snapshot.availability).toBe(verdict.availability);
      await meanwhile(raise);
      await undo();
      const clear = await recorder.waitForJson('fault', `${code} cleared`, (json) => json.state === 'cleared' && json.id === raise.id);
      expect(clear).toMatchObject({ code, raisedAt: raise.raisedAt });
      await recorder.waitForJson('faults', `IN_SERVICE after ${code}`, (json) => json.availability === 'IN_SERVICE' && json.ts >= clear.ts);
      return raise;
    }

    const birth = await recorder.waitForJson('state', 'birth', (json) => json.online === true);
    expect(birth.devices).toEqual(['battery', 'network', 'system', 'merchant']);
    const healthy = await recorder.waitForJson('heartbeat', 'a heartbeat with the network', (json) => json.network?.probeRttMs !== undefined);
    expect(healthy.network).toMatchObject({ up: true, rssiDbm: -71, registration: 'home' });
    expect(Object.keys(healthy.network)).toEqual(['up', 'rssiDbm', 'registration', 'probeRttMs']);
    expect(healthy.availability).toBe('IN_SERVICE');

    const linkDown = await episode('NET_LINK_DOWN', () => network.set({ adminDown: true }), () => network.set({ adminDown: false }), {
      availability: 'OUT_OF_SERVICE', reasons: ['NET_LINK_DOWN'],
    });
    expect(linkDown.severity).toBe('critical');
    expect(linkDown.detail).toMatchObject({ interface: 'wwan0', operstate: 'down' });
    await episode('NET_LINK_DOWN', () => network.set({ carrier: 0 }), () => network.set({ carrier: 1 }), {
      availability: 'OUT_OF_SERVICE', reasons: ['NET_LINK_DOWN'],
    });

    const noSim = await episode('NET_NO_SIM', () => modem.set({ sim: 'absent' }), () => modem.set({ sim: 'ready' }), {
      availability: 'OUT_OF_SERVICE', reasons: ['NET_NO_SIM'],
    });
    expect(noSim.detail).toEqual({ sim: 'absent' });

    const notRegistered = await episode('NET_NOT_REGISTERED', () => modem.set({ creg: 2, cereg: 2 }), () => modem.set({ creg: 5, cereg: 5 }), {
      availability: 'OUT_OF_SERVICE', reasons: ['NET_NOT_REGISTERED'],
    });
    expect(notRegistered.detail).toMatchObject({ registration: 'searching' });
    await recorder.waitForJson('heartbeat', 'roaming in the heartbeat', (json) => json.network?.registration === 'roaming');

    const weak = await episode('NET_WEAK_SIGNAL', () => modem.set({ rssi: 3 }), () => modem.set({ rssi: 21 }), {
      availability: 'DEGRADED', reasons: ['NET_WEAK_SIGNAL'],
    });
    expect(weak).toMatchObject({ severity: 'warning', detail: { rssiDbm: -107 } });

    // A critical and a warning together: critical first in reasons.
    const beforeUnknown = lastSeq();
    modem.set({ rssi: 99 });
    await recorder.waitForJson('fault', 'NET_WEAK_SIGNAL raised on an unknown signal', (json) =>
      raised('NET_WEAK_SIGNAL')(json) && json.seq > beforeUnknown && json.detail.signal === 'unknown');
    await episode('NET_NO_SIM', () => modem.set({ sim: 'pin' }), () => modem.set({ sim: 'ready', rssi: 21 }), {
      availability: 'OUT_OF_SERVICE', reasons: ['NET_NO_SIM', 'NET_WEAK_SIGNAL'],
    });

    await episode('MODEM_OFFLINE', () => modem.set({ silent: true }), () => modem.set({ silent: false }), {
      availability: 'DEGRADED', reasons: ['MODEM_OFFLINE'],
    }, async (raise) => {
      // The interface still works and the host answers: only what the modem tells is missing.
      const beat = await recorder.waitForJson('heartbeat', 'a heartbeat while the modem is silent', (json) => json.ts > raise.ts);
      expect(beat.network.up).toBe(true);
      expect(beat.network.probeRttMs).toEqual(expect.any(Number));
      expect(beat.network.rssiDbm).toBeUndefined();
      expect(beat.network.registration).toBeUndefined();
    });

    const refused = await episode('NET_HOST_UNREACHABLE', () => probeHost.setMode('refuse'), () => probeHost.setMode('accept'), {
      availability: 'OUT_OF_SERVICE', reasons: ['NET_HOST_UNREACHABLE'],
    });
    expect(refused.detail.error).toMatch(/ECONNREFUSED/);
    const hung = await episode('NET_HOST_UNREACHABLE', () => probeHost.setMode('hang'), () => probeHost.setMode('accept'), {
      availability: 'OUT_OF_SERVICE', reasons: ['NET_HOST_UNREACHABLE'],
    });
    expect(hung.detail.error).toMatch(/no TCP connect/);

    agent.kill('SIGTERM');
    expect((await agent.waitExit(5_000)).code).toBe(0);
  });
});
