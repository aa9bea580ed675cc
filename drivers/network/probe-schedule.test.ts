import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../basics/clock.js';
import { DeviceError } from '../../basics/errors.js';
import { FileTree } from '../../sim/file-tree.js';
import { removeTempDirs, tempDir } from '../../sim/temp-dirs.js';
import { memoryLog } from '../../test/helpers/log.js';
import { sysfsAt } from '../sysfs.js';
import type { TcpProbe } from '../tcp-probe.js';
import { createNetworkDriver, type NetworkConfig } from './driver.js';
import { network } from './index.js';
import { ANSWERING_PROBE_SECONDS } from './probe-schedule.js';
import type { NetworkReading } from '../../protocol/network-reading.js';

/**
 * The acquirer probe's schedule (probe-schedule.ts) through the driver, on vitest's fake clock:
 * one probe every 5 minutes while the host answers, none while the payment application holds an
 * established connection to it, every poll once a probe fails.
 */

const SYS = path.join(import.meta.dirname, 'testcases', 'ppp-minimal', 'sys');
const POLL_MS = 10_000;
const signal = () => new AbortController().signal;
/** 127.0.0.1:443 as /proc/net/tcp writes it, and the same address mapped in tcp6. */
const TCP_HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
const line = (remote: string, state: string, txQueue = '00000000') => `   0: 0100007F:C350 ${remote} ${state} ${txQueue}:00000000 00:00000000 00000000  1000        0 4242 1\n`;

let proc: FileTree;
let answers: boolean;
let probes: number;
/** How long a connect takes, on the fake clock. */
let slowMs: number;
let connecting = false;
const probe: TcpProbe = async () => {
  probes += 1;
  if (slowMs > 0) {
    connecting = true;
    await new Promise((resolve) => setTimeout(resolve, slowMs));
    connecting = false;
  }
  if (!answers) throw new DeviceError('UNAVAILABLE', 'connect ECONNREFUSED');
  return { rttMs: 40, address: '127.0.0.1' };
};

function driverFor(probeConfig: Partial<NonNullable<NetworkConfig['probe']>> = {}) {
  const env = {
    clock: systemClock,
    log: memoryLog().log,
    sysfs: sysfsAt(SYS),
    procfs: sysfsAt(proc.root),
    stateDir: proc.root,
    statfs: async () => ({ bsize: 4096, blocks: 1, bavail: 1 }),
    serial: () => {
      throw new Error('no serial line in this test');
    },
    probe,
  };
  return createNetworkDriver({ interface: 'ppp0', pollSeconds: POLL_MS / 1000, probe: { host: '127.0.0.1', port: 443, timeoutMs: 3000, ...probeConfig } }, env);
}

/** Polls every 10 s for `count` polls; the readings in order. */
async function poll(driver: ReturnType<typeof driverFor>, count: number): Promise<NetworkReading[]> {
  const readings = [];
  for (let i = 0; i < count; i++) {
    const startedAt = Date.now();
    let reading: NetworkReading | undefined;
    const read = driver.read(signal()).then((value) => (reading = value));
    // The files are read for real; a slow connect's time passes on the fake clock meanwhile.
    while (!reading) {
      await new Promise((resolve) => setImmediate(resolve));
      if (connecting) await vi.advanceTimersByTimeAsync(slowMs);
    }
    readings.push(await read);
    await vi.advanceTimersByTimeAsync(POLL_MS - (Date.now() - startedAt));
  }
  return readings;
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout', 'performance'] });
  proc = new FileTree(tempDir('proc-'));
  answers = true;
  probes = 0;
  slowMs = 0;
});
afterEach(() => vi.useRealTimers());
afterAll(() => removeTempDirs());

describe('the acquirer probe schedule', () => {
  it('defaults to one probe every 300 s while the host answers', () => {
    const parsed = network.config.parse({ interface: 'wwan0', probe: { host: 'acquirer.example', port: 443 } }) as NetworkConfig;
    expect(parsed.pollSeconds).toBe(10);
    expect(parsed.probe).toEqual({ host: 'acquirer.example', port: 443, timeoutMs: 3000, answeringSeconds: 300 });
    expect(ANSWERING_PROBE_SECONDS).toBe(300);
  });

  it('probes the first poll, then once every 300 s while the host answers: 288 a day', async () => {
    const readings = await poll(driverFor(), 90);
    expect(probes).toBe(3);
    expect(readings.map((reading, index) => (reading.probe ? index : -1)).filter((index) => index >= 0)).toEqual([0, 30, 60]);
    // Between probes the heartbeat keeps the last round trip.
    expect(network.heartbeat({ ok: true, at: 0, reading: readings[15]! })).toMatchObject({ probeRttMs: 40 });
  });

  it('probes every poll once a probe fails, so NET_HOST_UNREACHABLE (2 polls) is decided within a poll, and is quiet again after a success', async () => {
    const driver = driverFor();
    await poll(driver, 1);
    answers = false;
    // The host goes away just after a probe: the next probe is due 300 s later.
    const quiet = await poll(driver, 29);
    expect(quiet.every((reading) => reading.probe === undefined)).toBe(true);
    const failing = await poll(driver, 3);
    expect(failing.map((reading) => reading.probe?.ok)).toEqual([false, false, false]);
    answers = true;
    const back = await poll(driver, 5);
    expect(back.map((reading) => reading.probe?.ok)).toEqual([true, undefined, undefined, undefined, undefined]);
    expect(probes).toBe(1 + 3 + 1);
  });

  it('does not probe while the payment application holds an established connection with nothing unacknowledged', async () => {
    const driver = driverFor();
    proc.write('net/tcp', TCP_HEADER + line('0100007F:01BB', '01'));
    const held = await poll(driver, 100);
    expect(probes).toBe(0);
    // The connection ends: one probe says whether the host still answers, then quiet again.
    proc.write('net/tcp', TCP_HEADER);
    const after = await poll(driver, 29);
    expect(after.map((reading) => reading.probe?.ok)).toEqual([true, ...Array<undefined>(28).fill(undefined)]);
    expect(probes).toBe(1);
    expect(held.every((reading) => reading.probe?.by === 'connection' && reading.probe.ok)).toBe(true);

    // The same connection in tcp6, the IPv4 address mapped.
    proc.write('net/tcp', TCP_HEADER);
    proc.write('net/tcp6', TCP_HEADER + line('0000000000000000FFFF00000100007F:01BB', '01'));
    await poll(driver, 100);
    expect(probes).toBe(1);
  });

  it('trusts no held connection once a probe failed: only a probe that connects clears', async () => {
    const driver = driverFor();
    answers = false;
    await poll(driver, 1);
    proc.write('net/tcp', TCP_HEADER + line('0100007F:01BB', '01'));
    const failing = await poll(driver, 3);
    expect(failing.map((reading) => reading.probe)).toMatchObject([{ ok: false }, { ok: false }, { ok: false }]);
    answers = true;
    await poll(driver, 1);
    const held = await poll(driver, 40);
    expect(held.every((reading) => reading.probe?.by === 'connection')).toBe(true);
    expect(probes).toBe(5);
  });

  it('probes at once when the held connection gets stuck with unacknowledged data, and every poll while the host is gone', async () => {
    const driver = driverFor();
    proc.write('net/tcp', TCP_HEADER + line('0100007F:01BB', '01'));
    await poll(driver, 10);
    expect(probes).toBe(0);
    answers = false;
    proc.write('net/tcp', TCP_HEADER + line('0100007F:01BB', '01', '000001F4'));
    const gone = await poll(driver, 2);
    // Two failed polls raise NET_HOST_UNREACHABLE (SPEC.md section 5): one poll after the first.
    expect(gone.map((reading) => reading.probe?.ok)).toEqual([false, false]);
  });

  it('probes as scheduled when the connection is not established, goes elsewhere, or waits for an acknowledgement', async () => {
    for (const table of [line('0100007F:01BB', '02'), line('0200007F:01BB', '01'), line('0100007F:01BC', '01'), line('0100007F:01BB', '01', '0000002A')]) {
      probes = 0;
      proc.write('net/tcp', TCP_HEADER + table);
      await poll(driverFor(), 31);
      expect(probes, table).toBe(2);
    }
  });

  it('learns the address of a host given by name from the probe that reached it', async () => {
    const driver = driverFor({ host: 'acquirer.example' });
    proc.write('net/tcp', TCP_HEADER + line('0100007F:01BB', '01'));
    await poll(driver, 60);
    // The first poll must probe: before it, the name has no address to look for.
    expect(probes).toBe(1);
  });

  it('probes every poll when answeringSeconds is the poll interval (the simulator does so), slow connects too', async () => {
    await poll(driverFor({ answeringSeconds: POLL_MS / 1000 }), 12);
    expect(probes).toBe(12);
    probes = 0;
    slowMs = 6_000;
    await poll(driverFor({ answeringSeconds: POLL_MS / 1000, timeoutMs: 8_000 }), 12);
    expect(probes).toBe(12);
  });
});
