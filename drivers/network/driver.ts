import { errnoCode, errorMessage } from '../../basics/errors.js';
import { Modem } from '../modem/modem.js';
import { InputProblems } from '../problems.js';
import type { Driver, DriverEnv, SelfTest } from '../types.js';
import { DataUseCounter } from './data-use.js';
import {
  COUNTER_NAMES, counterDeltas, linkUp, parseCarrier, parseCounter, parseOperstate, parseWireless,
} from './codec.js';
import { heldOpen, tableAddresses } from './connections.js';
import { ANSWERING_PROBE_SECONDS, ProbeSchedule } from './probe-schedule.js';
import type { Counters, NetworkReading, ProbeResult, WirelessLine } from '../../protocol/network-reading.js';

export interface NetworkConfig {
  interface: string;
  pollSeconds: number;
  modem?: { path: string; baudRate: number };
  /** `answeringSeconds`: between probes while the host answers (probe-schedule.ts). */
  probe?: { host: string; port: number; timeoutMs: number; answeringSeconds?: number };
}

const NOT_PRESENT: Pick<NetworkReading, 'operstate' | 'carrier' | 'up'> = { operstate: 'notpresent', up: false };

/** A poll ends this long before its interval does, so the scheduler never has to abandon it. */
function pollMargin(intervalMs: number): number {
  return Math.min(1_000, Math.max(250, intervalMs * 0.1));
}

/**
 * Reads the interface's state from the net class, its signal from the modem or the wireless
 * table, and times the probe; the three run side by side. Each part that fails leaves its
 * fields out: a poll always returns, within its interval.
 */
export function createNetworkDriver(config: NetworkConfig, env: DriverEnv): Driver<NetworkReading> {
  const { sysfs, procfs, clock } = env;
  const problems = new InputProblems(env.log);
  const base = `class/net/${config.interface}`;
  const modem = config.modem ? new Modem(env.serial, config.modem, env) : undefined;
  const schedule = new ProbeSchedule(clock, config.pollSeconds * 1000, (config.probe?.answeringSeconds ?? ANSWERING_PROBE_SECONDS) * 1000);
  /** The host's addresses as the connection tables write them: its own if an IP, else those probes reached. */
  const hostAddresses = new Set(config.probe ? tableAddresses(config.probe.host) : []);
  let lastProbeRttMs: number | undefined;
  let previousCounters: Counters | undefined;
  const dataUse = new DataUseCounter(clock.now());

  async function readFile(reader: typeof sysfs, relative: string): Promise<string | undefined> {
    try {
      return await reader.read(relative);
    } catch (error) {
      problems.report(reader.where(relative), `cannot be read: ${errorMessage(error)}`);
      return undefined;
    }
  }

  async function readCarrier(): Promise<0 | 1 | undefined> {
    const relative = `${base}/carrier`;
    let text: string | undefined;
    try {
      text = await sysfs.read(relative);
    } catch (error) {
      // The kernel refuses to read carrier while the interface is administratively down.
      if (errnoCode(error) === 'EINVAL') {
        problems.report(sysfs.where(relative), undefined);
        return 0;
      }
      problems.report(sysfs.where(relative), `cannot be read: ${errorMessage(error)}`);
      return undefined;
    }
    const carrier = parseCarrier(text);
    problems.report(sysfs.where(relative), carrier.problem);
    return carrier.value;
  }

  type LinkState = Pick<NetworkReading, 'operstate' | 'carrier' | 'up'>;

  /** An interface whose folder is missing is `notpresent` (a USB modem unplugged, a driver unloaded). */
  async function readState(): Promise<LinkState | undefined> {
    if ((await sysfs.list(base)) === undefined) return undefined;
    const operstate = parseOperstate(await readFile(sysfs, `${base}/operstate`));
    problems.report(sysfs.where(`${base}/operstate`), operstate.problem);
    const carrier = await readCarrier();
    return { operstate: operstate.value, carrier, up: linkUp(operstate.value, carrier) };
  }

  async function readLink(): Promise<Pick<NetworkReading, 'operstate' | 'carrier' | 'up' | 'counters' | 'deltas'>> {
    const state = await readState();
    if (!state) {
      previousCounters = undefined;
      return NOT_PRESENT;
    }
    const counters: Counters = {};
    await Promise.all(
      COUNTER_NAMES.map(async (name) => {
        const relative = `${base}/statistics/${name}`;
        const parsed = parseCounter(await readFile(sysfs, relative));
        problems.report(sysfs.where(relative), parsed.problem);
        if (parsed.value !== undefined) counters[name] = parsed.value;
      }),
    );
    const deltas = counterDeltas(previousCounters, counters);
    previousCounters = counters;
    const some = (values: Counters) => (Object.keys(values).length > 0 ? values : undefined);
    return { ...state, counters: some(counters), deltas: some(deltas) };
  }

  async function readWireless(): Promise<WirelessLine | undefined> {
    const wireless = parseWireless(await readFile(procfs, 'net/wireless'), config.interface);
    problems.report(procfs.where('net/wireless'), wireless.problem);
    return wireless.value;
  }

  async function probe(deadline: number, signal: AbortSignal): Promise<ProbeResult | undefined> {
    if (!config.probe) return undefined;
    const { host, port } = config.probe;
    const timeoutMs = Math.max(1, Math.min(config.probe.timeoutMs, Math.floor(deadline - clock.monotonic())));
    try {
      const answer = await env.probe({ host, port, timeoutMs }, signal);
      if (answer.address) for (const address of tableAddresses(answer.address)) hostAddresses.add(address);
      return { host, port, ok: true, rttMs: answer.rttMs };
    } catch (error) {
      return { host, port, ok: false, error: errorMessage(error) };
    }
  }

  /** A poll's probe, as the schedule has it (probe-schedule.ts). */
  async function scheduledProbe(deadline: number, signal: AbortSignal): Promise<ProbeResult | undefined> {
    if (!config.probe) return undefined;
    const { host, port } = config.probe;
    if (!schedule.failing && hostAddresses.size > 0) {
      const tables = await Promise.all(['net/tcp', 'net/tcp6'].map((table) => procfs.read(table).catch(() => undefined)));
      const held = heldOpen(tables, [...hostAddresses], port);
      schedule.connection(held);
      if (held) return { host, port, ok: true, by: 'connection' };
    }
    if (!schedule.due()) return undefined;
    const startedAt = clock.monotonic();
    const result = await probe(deadline, signal);
    schedule.probed(result?.ok === true, startedAt);
    lastProbeRttMs = result?.ok ? result.rttMs : undefined;
    return result;
  }

  return {
    async open() {
      await modem?.open();
    },

    async read(signal) {
      const deadline = clock.monotonic() + config.pollSeconds * 1000 - pollMargin(config.pollSeconds * 1000);
      const [link, wireless, modemStatus, probeResult] = await Promise.all([
        readLink(),
        readWireless(),
        modem?.status({ deadline, signal }),
        scheduledProbe(deadline, signal),
      ]);
      const reading: NetworkReading = { interface: config.interface, ...link };
      if (wireless) reading.wireless = wireless;
      if (modemStatus) {
        reading.modem = modemStatus;
        if (modemStatus.rssiDbm !== undefined) reading.rssiDbm = modemStatus.rssiDbm;
        if (modemStatus.signalUnknown) reading.signalUnknown = true;
      } else if (wireless?.levelDbm !== undefined) {
        reading.rssiDbm = wireless.levelDbm;
      }
      if (probeResult) reading.probe = probeResult;
      if (lastProbeRttMs !== undefined) reading.lastProbeRttMs = lastProbeRttMs;
      dataUse.add(link.deltas);
      reading.dataUse = dataUse.figures(env.linkTraffic?.());
      for (const key of Object.keys(reading) as (keyof NetworkReading)[]) {
        if (reading[key] === undefined) delete reading[key];
      }
      return reading;
    },

    async selfTest(signal): Promise<SelfTest> {
      const detail: Record<string, unknown> = {};
      const results: boolean[] = [];
      const [modemTest, probeResult] = await Promise.all([
        modem?.ping(signal),
        probe(clock.monotonic() + (config.probe?.timeoutMs ?? 0), signal),
      ]);
      if (modemTest) {
        detail.modem = { pass: modemTest.pass, ...modemTest.detail };
        results.push(modemTest.pass);
      }
      if (probeResult) {
        detail.probe = probeResult;
        results.push(probeResult.ok);
      }
      if (results.length === 0) {
        const link = (await readState()) ?? NOT_PRESENT;
        detail.link = { operstate: link.operstate, carrier: link.carrier };
        results.push(link.up === true);
      }
      return { pass: results.every(Boolean), detail };
    },

    async close() {
      await modem?.close();
    },
  };
}
