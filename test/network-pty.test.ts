import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../basics/clock.js';
import { FaultEngine } from '../agent/fault-engine.js';
import { memoryFaultStore } from '../agent/fault-store.js';
import { allThresholdDefaults } from '../drivers/index.js';
import { createNetworkDriver } from '../drivers/network/driver.js';
import { networkRules } from '../drivers/network/faults.js';
import { SerialportTransport, serialportOpener } from '../drivers/serial/serialport-transport.js';
import { sysfsAt } from '../drivers/sysfs.js';
import { resolveThresholds } from '../drivers/thresholds.js';
import type { FaultRule } from '../drivers/types.js';
import { FileTree } from '../sim/file-tree.js';
import { SimModem } from '../sim/modem.js';
import { SimNetwork } from '../sim/network.js';
import { memoryLog } from './helpers/log.js';
import { PtyPair } from '../sim/pty.js';
import { removeTempDirs, tempDir } from '../sim/temp-dirs.js';
import { requireTool } from '../sim/tools.js';

/**
 * The network driver's modem side on the production path: `serialport` on a pseudo-terminal,
 * the simulated modem on the other end, unplugged by ending socat.
 */

const socat = requireTool('socat', 'the modem tests on pseudo-terminals');

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(() => removeTempDirs());

async function setup() {
  const dir = tempDir();
  const pair = await PtyPair.start(socat!, dir, 'modem');
  cleanups.push(() => pair.stop());
  const modem = new SimModem({ urcEveryMs: 100, urcInAnswer: 0.5 });
  cleanups.push(() => modem.close());
  await modem.attach(new SerialportTransport({ path: pair.devicePath, baudRate: 115200 }));

  const sys = new FileTree(path.join(dir, 'sys'));
  const proc = new FileTree(path.join(dir, 'proc'));
  new SimNetwork(sys, proc, 'wwan0');
  const { log } = memoryLog('info');
  const driver = createNetworkDriver(
    { interface: 'wwan0', pollSeconds: 2, modem: { path: pair.agentPath, baudRate: 115200 } },
    {
      clock: systemClock, log, sysfs: sysfsAt(sys.root), procfs: sysfsAt(proc.root), stateDir: dir,
      statfs: async () => ({ bsize: 1, blocks: 1, bavail: 1 }),
      serial: serialportOpener,
      probe: async () => ({ rttMs: 5 }),
    },
  );
  cleanups.push(() => driver.close!());
  await driver.open!();

  let seq = 0;
  const engine = new FaultEngine({ store: memoryFaultStore(), reserveSeq: () => ++seq, announce: () => {} });
  engine.setRules('network', networkRules(resolveThresholds(allThresholdDefaults(), {})) as FaultRule<unknown>[]);
  /** One poll: a reading, fed to the fault engine; returns the reading and the active codes. */
  const poll = async () => {
    const reading = await driver.read(new AbortController().signal);
    engine.observe('network', { ok: true, at: Date.now(), reading });
    return { reading, active: engine.list().map((fault) => fault.code) };
  };
  return { pair, modem, poll };
}

describe.skipIf(!socat)('network driver and simulated modem on pseudo-terminals', () => {
  it('reads the modem through echo and URCs arriving at random, poll after poll', async () => {
    const { modem, poll } = await setup();
    for (let round = 0; round < 4; round++) {
      const { reading, active } = await poll();
      expect(reading.modem).toMatchObject({ online: true, sim: 'ready', rssiDbm: -71, registration: 'home', operator: 'SimTel', accessTechnology: 'LTE' });
      expect(active).toEqual([]);
    }
    modem.set({ sim: 'absent', rssi: 2, creg: 3, cereg: 3 });
    const first = await poll();
    expect(first.reading.modem).toMatchObject({ sim: 'absent', rssiDbm: -109, registration: 'denied' });
    expect(first.active).toEqual(['NET_NO_SIM']);
    expect((await poll()).active.sort()).toEqual(['NET_NOT_REGISTERED', 'NET_NO_SIM', 'NET_WEAK_SIGNAL']);
  });

  it('raises MODEM_OFFLINE 2 polls after an unplug, and reopens the tty by itself once it is back', async () => {
    const { pair, modem, poll } = await setup();
    expect((await poll()).reading.modem?.online).toBe(true);

    await pair.unplug();
    const first = await poll();
    expect(first.reading.modem?.online).toBe(false);
    expect(first.active).toEqual([]);
    const second = await poll();
    expect(second.active).toEqual(['MODEM_OFFLINE']);

    await pair.plug();
    await modem.attach(new SerialportTransport({ path: pair.devicePath, baudRate: 115200 }));
    // The line retries with a backoff: a few polls at most, none of them by hand.
    const deadline = Date.now() + 20_000;
    let latest = await poll();
    while (!latest.reading.modem?.online && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      latest = await poll();
    }
    expect(latest.reading.modem).toMatchObject({ online: true, sim: 'ready' });
    expect(latest.active).toEqual([]);
  });

  it('raises MODEM_OFFLINE for a modem that goes silent with its tty still there, and clears it on its next answer', async () => {
    const { modem, poll } = await setup();
    expect((await poll()).active).toEqual([]);
    modem.set({ silent: true });
    const first = await poll();
    expect(first.reading.modem).toMatchObject({ online: false, error: expect.stringMatching(/no answer to AT\+CPIN\?/) });
    expect((await poll()).active).toEqual(['MODEM_OFFLINE']);
    modem.set({ silent: false });
    expect((await poll()).active).toEqual([]);
  });
});
