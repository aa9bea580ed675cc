import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../basics/clock.js';
import { DeviceError } from '../../basics/errors.js';
import { FileTree } from '../../sim/file-tree.js';
import { SimModem, type ModemState } from '../../sim/modem.js';
import { SimNetwork } from '../../sim/network.js';
import { memoryLog } from '../../test/helpers/log.js';
import { removeTempDirs, tempDir } from '../../sim/temp-dirs.js';
import { memoryLine } from '../serial/memory-transport.js';
import { sysfsAt, type SysfsReader } from '../sysfs.js';
import type { TcpProbe } from '../tcp-probe.js';
import type { DriverEnv } from '../types.js';
import { createNetworkDriver, type NetworkConfig } from './driver.js';
import { network } from './index.js';

const CASES = path.join(import.meta.dirname, 'testcases');
const signal = () => new AbortController().signal;
const noProbe: TcpProbe = () => Promise.reject(new Error('no probe in this test'));

function envFor(root: string, extra: Partial<DriverEnv> = {}) {
  const { log, records } = memoryLog();
  const env: DriverEnv = {
    clock: systemClock,
    log,
    sysfs: sysfsAt(path.join(root, 'sys')),
    procfs: sysfsAt(path.join(root, 'proc')),
    stateDir: root,
    statfs: async () => ({ bsize: 4096, blocks: 1, bavail: 1 }),
    serial: () => {
      throw new Error('no serial line in this test');
    },
    probe: noProbe,
    ...extra,
  };
  return { env, records };
}

const config = (name: string, more: Partial<NetworkConfig> = {}): NetworkConfig => ({ interface: name, pollSeconds: 10, ...more });
const warnings = (records: any[]) => records.filter((record) => record.level === 40);

/** A reader that fails reading one file with the given errno code, as the kernel does. */
function failing(reader: SysfsReader, file: string, code: string): SysfsReader {
  return {
    ...reader,
    async read(relative) {
      if (relative.endsWith(file)) throw Object.assign(new Error(`${code}: read failed, read '${reader.where(relative)}'`), { code });
      return reader.read(relative);
    },
  };
}

afterAll(() => removeTempDirs());

describe('network driver against fixture trees', () => {
  for (const name of fs.readdirSync(CASES)) {
    it(name, async () => {
      const root = path.join(CASES, name);
      const expected = JSON.parse(fs.readFileSync(path.join(root, 'expected.json'), 'utf8'));
      const { env, records } = envFor(root);
      const driver = createNetworkDriver(config(expected.interface), env);

      expect(await driver.read(signal())).toEqual({ ...expected.reading, dataUse: { since: expect.any(Number), rxBytes: 0, txBytes: 0 } });
      const warned = warnings(records).map((record) => path.basename(record.file));
      expect(warned.sort()).toEqual([...expected.problems].sort());

      // The same garbage on the next poll is not logged again; unchanged counters have zero deltas.
      const again = await driver.read(signal());
      expect(warnings(records)).toHaveLength(expected.problems.length);
      if (expected.reading.counters) expect(Object.values(again.deltas ?? {}).every((delta) => delta === 0)).toBe(true);
    });
  }
});

describe('network driver: carrier, counters', () => {
  it('counts a carrier read that fails with EINVAL (interface administratively down) as 0, without a warning', async () => {
    const root = path.join(CASES, 'wifi');
    const { env, records } = envFor(root);
    env.sysfs = failing(env.sysfs, 'wlan0/carrier', 'EINVAL');
    const reading = await createNetworkDriver(config('wlan0'), env).read(signal());
    expect(reading).toMatchObject({ operstate: 'up', carrier: 0, up: false });
    expect(warnings(records)).toEqual([]);
  });

  it('leaves out a carrier that fails with another error, and says which file', async () => {
    const root = path.join(CASES, 'wifi');
    const { env, records } = envFor(root);
    env.sysfs = failing(env.sysfs, 'wlan0/carrier', 'EIO');
    const reading = await createNetworkDriver(config('wlan0'), env).read(signal());
    expect(reading.carrier).toBeUndefined();
    expect(reading.up).toBe(true);
    expect(warnings(records).map((record) => record.file)).toEqual([path.join(root, 'sys/class/net/wlan0/carrier')]);
  });

  it('turns counters into deltas that never go negative when the driver reloads', async () => {
    const dir = tempDir();
    const sim = new SimNetwork(new FileTree(path.join(dir, 'sys')), new FileTree(path.join(dir, 'proc')), 'wwan0');
    const { env } = envFor(dir);
    const driver = createNetworkDriver(config('wwan0'), env);
    sim.advance({ rx: 100, tx: 50, rxErrors: 2 });
    expect((await driver.read(signal())).deltas).toBeUndefined();
    sim.advance({ rx: 10, tx: 5 });
    expect((await driver.read(signal())).deltas).toMatchObject({ rx_packets: 10, tx_packets: 5, rx_errors: 0, rx_bytes: 6000 });
    sim.resetCounters();
    sim.advance({ rx: 3, tx: 1 });
    const afterReload = await driver.read(signal());
    expect(afterReload.counters).toMatchObject({ rx_packets: 3, tx_packets: 1 });
    expect(afterReload.deltas).toMatchObject({ rx_packets: 3, tx_packets: 1, rx_errors: 0 });
    expect(Object.values(afterReload.deltas!).every((delta) => delta >= 0)).toBe(true);
  });

  it("sums the interface's bytes since the start across a counter reset, beside the agent's own MQTT bytes", async () => {
    const dir = tempDir();
    const sim = new SimNetwork(new FileTree(path.join(dir, 'sys')), new FileTree(path.join(dir, 'proc')), 'wwan0');
    const traffic = { bytesSent: 1_234, bytesReceived: 567 };
    const { env } = envFor(dir, { linkTraffic: () => traffic });
    const driver = createNetworkDriver(config('wwan0'), env);
    sim.advance({ rx: 100, tx: 50 });
    expect((await driver.read(signal())).dataUse).toMatchObject({ rxBytes: 0, txBytes: 0, agentSentBytes: 1_234, agentReceivedBytes: 567 });
    sim.advance({ rx: 10, tx: 5 });
    const before = (await driver.read(signal())).dataUse!;
    expect(before.rxBytes).toBeGreaterThan(0);
    sim.resetCounters();
    sim.advance({ rx: 10, tx: 5 });
    traffic.bytesSent += 400;
    const after = (await driver.read(signal())).dataUse!;
    // The bytes counted after the reset add to those before it; nothing goes negative.
    expect(after).toMatchObject({ rxBytes: before.rxBytes * 2, txBytes: before.txBytes * 2, agentSentBytes: 1_634, since: before.since });
  });

  it('reads the simulated administratively-down interface as down: its carrier cannot be read', async () => {
    const dir = tempDir();
    const sim = new SimNetwork(new FileTree(path.join(dir, 'sys')), new FileTree(path.join(dir, 'proc')), 'wwan0');
    const { env, records } = envFor(dir);
    const driver = createNetworkDriver(config('wwan0'), env);
    expect((await driver.read(signal())).up).toBe(true);
    sim.set({ adminDown: true });
    expect(await driver.read(signal())).toMatchObject({ operstate: 'down', up: false });
    expect(warnings(records).map((record) => path.basename(record.file))).toEqual(['carrier']);
    sim.set({ adminDown: false });
    expect(await driver.read(signal())).toMatchObject({ operstate: 'unknown', carrier: 1, up: true });
  });
});

describe('network driver with a modem and a probe', () => {
  const modems: SimModem[] = [];
  afterEach(async () => {
    await Promise.all(modems.splice(0).map((modem) => modem.close()));
  });

  async function cellular(state: Partial<ModemState>, probe: TcpProbe, pollSeconds = 10) {
    const wire = memoryLine('/dev/ttyUSB2', 'random');
    const sim = new SimModem(state);
    modems.push(sim);
    await sim.attach(wire.device);
    const { env } = envFor(path.join(CASES, 'cellular-working'), { serial: () => wire.host, probe });
    const driver = createNetworkDriver(
      config('wwan0', { pollSeconds, modem: { path: '/dev/ttyUSB2', baudRate: 115200 }, probe: { host: '127.0.0.1', port: 9, timeoutMs: 3000 } }),
      env,
    );
    await driver.open!();
    return { driver, sim, wire };
  }

  it('reads link, modem and probe together; the heartbeat takes four fields of it', async () => {
    const { driver } = await cellular({ rssi: 17, creg: 0, cereg: 5 }, async () => ({ rttMs: 43 }));
    const reading = await driver.read(signal());
    expect(reading).toMatchObject({
      interface: 'wwan0', operstate: 'unknown', up: true, rssiDbm: -79,
      modem: { online: true, sim: 'ready', registration: 'roaming', operator: 'SimTel', accessTechnology: 'LTE' },
      probe: { host: '127.0.0.1', port: 9, ok: true, rttMs: 43 },
    });
    const heartbeat = network.heartbeat({ ok: true, at: 0, reading });
    expect(JSON.parse(JSON.stringify(heartbeat))).toEqual({ up: true, rssiDbm: -79, registration: 'roaming', probeRttMs: 43 });
    expect(network.heartbeat({ ok: false, at: 0, error: new Error('x') })).toEqual({ up: false });
  });

  it('finishes a poll within its interval when the modem is silent and the probe hangs', async () => {
    const hanging: TcpProbe = ({ timeoutMs }) =>
      new Promise((_, reject) => setTimeout(() => reject(new DeviceError('TIMEOUT', `no connect within ${timeoutMs} ms`)), timeoutMs));
    const { driver, wire } = await cellular({ silent: true }, hanging, 3);
    const startedAt = Date.now();
    const reading = await driver.read(signal());
    // SPEC.md section 5: a poll must not run into the next one (the interval here is 3 s).
    expect(Date.now() - startedAt).toBeLessThan(3_000);
    expect(reading.modem).toMatchObject({ online: false });
    expect(reading.probe).toMatchObject({ ok: false });
    expect(reading.rssiDbm).toBeUndefined();
    // One command, one timeout.
    expect(wire.host.written.map((bytes) => bytes.toString())).toEqual(['AT+CPIN?\r']);
  });

  it('reports a weak unknown signal when the modem answers CSQ 99', async () => {
    const { driver } = await cellular({ rssi: 99 }, async () => ({ rttMs: 10 }));
    const reading = await driver.read(signal());
    expect(reading.signalUnknown).toBe(true);
    expect(reading.rssiDbm).toBeUndefined();
  });

  it('self-tests with a plain AT and one probe', async () => {
    const { driver } = await cellular({}, async () => ({ rttMs: 12 }));
    expect(await driver.selfTest!(signal())).toEqual({
      pass: true,
      detail: { modem: { pass: true, path: '/dev/ttyUSB2', final: 'OK' }, probe: { host: '127.0.0.1', port: 9, ok: true, rttMs: 12 } },
    });
    const { driver: refused } = await cellular({}, () => Promise.reject(new DeviceError('UNAVAILABLE', 'connect ECONNREFUSED')));
    const failed = await refused.selfTest!(signal());
    expect(failed.pass).toBe(false);
    expect(failed.detail.probe).toMatchObject({ ok: false, error: 'connect ECONNREFUSED' });
  });
});
