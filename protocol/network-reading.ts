import type { Registration } from './heartbeat.js';

/**
 * The network device's reading (readings.ts): the interface from the net class
 * (Documentation/ABI/testing/sysfs-class-net) and `/proc/net/wireless`, the modem's answers to AT
 * commands, the reachability probe and the data carried.
 */

/** RFC 2863 operational states, as the net class names them. */
export type Operstate = 'unknown' | 'notpresent' | 'down' | 'lowerlayerdown' | 'testing' | 'dormant' | 'up';

export type CounterName = 'rx_packets' | 'tx_packets' | 'rx_bytes' | 'tx_bytes' | 'rx_errors' | 'tx_errors' | 'rx_dropped' | 'tx_dropped';
export type Counters = Partial<Record<CounterName, number>>;

export interface WirelessLine {
  status: string;
  linkQuality: number;
  levelDbm?: number;
  noiseDbm?: number;
  /** Which of link, level and noise the driver updated since the last read (a trailing `.`). */
  updated: { link: boolean; level: boolean; noise: boolean };
}

/** Registration status of +CREG / +CEREG (TS 27.007 7.2 and 10.1.22). */
export type RegistrationStat = 0 | 1 | 2 | 3 | 4 | 5;

export type SimState = 'ready' | 'pin' | 'puk' | 'absent' | 'failure' | 'error' | 'other';

/** What one poll learnt from the modem. Fields it could not learn are absent. */
export interface ModemStatus {
  /** The modem answered at least one command in this poll. */
  online: boolean;
  /** Why it did not answer, or why the poll stopped early. */
  error?: string;
  sim?: SimState;
  rssi?: number;
  ber?: number;
  rssiDbm?: number;
  /** `+CSQ: 99,…`: the modem does not know its signal, which counts as weak. */
  signalUnknown?: boolean;
  creg?: RegistrationStat;
  cereg?: RegistrationStat;
  registration?: Registration;
  operator?: string;
  accessTechnology?: string;
}

export interface ProbeResult {
  host: string;
  port: number;
  ok: boolean;
  rttMs?: number;
  error?: string;
  /** `connection`: no probe, the payment application holds an established connection to the host. */
  by?: 'connection';
}

/**
 * What the link has carried since the agent started: the interface's bytes both ways, summed
 * from the poll-to-poll increases of its counters (so a counter that goes back to 0 when a driver
 * reloads loses nothing but the bytes of one interval), and the agent's own MQTT bytes.
 */
export interface DataUse {
  /** When counting began (the agent's first poll of the interface). */
  since: number;
  rxBytes: number;
  txBytes: number;
  agentSentBytes?: number;
  agentReceivedBytes?: number;
}

/** Everything one poll learnt; the heartbeat takes four fields, `status` all of them. */
export interface NetworkReading {
  interface: string;
  operstate?: Operstate;
  carrier?: 0 | 1;
  up?: boolean;
  counters?: Counters;
  /** Increases since the previous poll, never negative (a counter reset counts from 0). */
  deltas?: Counters;
  wireless?: WirelessLine;
  /** From `+CSQ` on a cellular interface, else from `/proc/net/wireless`. */
  rssiDbm?: number;
  signalUnknown?: boolean;
  modem?: ModemStatus;
  /** This poll's probe; absent when the schedule let the poll go without one. */
  probe?: ProbeResult;
  /** The round trip of the last probe while the host answers, for the heartbeat between probes. */
  lastProbeRttMs?: number;
  /** Bytes carried since the agent started: the interface's and the agent's own (status only). */
  dataUse?: DataUse;
}
