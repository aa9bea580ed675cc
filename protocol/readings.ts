import type { BatteryStatus, Paper } from './heartbeat.js';
import type { BirthMessage } from './messages.js';
import type { NetworkReading } from './network-reading.js';

/**
 * Each device's reading: what its driver's `read()` returns and what the `status` answer shows as
 * `devices.<name>.reading` (status.ts). The heartbeat carries a few of these fields (heartbeat.ts).
 * Drivers fill them in; the lists of values they parse (states, field names) stay in their codecs.
 */

// ---- printer (ESC/POS DLE EOT and Automatic Status Back) ----

/** What the printer says about itself. Fields only DLE EOT carries are absent after a status back block. */
export interface PrinterStatus {
  /** The printer's own offline bit; a printer with its cover open is offline and still answers. */
  offline: boolean;
  paper: Paper;
  coverOpen: boolean;
  cutterError: boolean;
  /** Auto-recoverable error: the print head is too hot. */
  overheat: boolean;
  /** Unrecoverable error. */
  failure: boolean;
  recoverableError: boolean;
  /** Drawer kick-out connector pin 3 (open or closed depends on the drawer). */
  drawerPinHigh: boolean;
  feedButton: boolean;
  /** DLE EOT 2: printing stopped because the paper ended. */
  paperEndStop?: boolean;
  /** DLE EOT 2: paper is being fed with the feed button (the printer is offline meanwhile). */
  feeding?: boolean;
  /** DLE EOT 2: an error occurred. */
  errorOccurred?: boolean;
  /** DLE EOT 1: waiting for online recovery. */
  waitingForRecovery?: boolean;
}

export interface PrinterReading extends PrinterStatus {
  /** Where this reading comes from: a DLE EOT poll, or a status back block pushed by the printer. */
  via: 'poll' | 'statusBack';
  /** Whether the driver asks the printer for Automatic Status Back. */
  statusBack: boolean;
  /** Status back blocks received since the agent started. */
  statusBackBlocks: number;
  /** Bytes from the printer that were neither a reply, a block nor flow control. */
  protocolErrors: number;
}

// ---- card reader ----

export type ReaderEvent = 'cardInserted' | 'readOk' | 'readError' | 'cardData';

export interface ReaderFlags {
  cardPresent: boolean;
  /** A card is stuck or the slot is jammed. */
  slotBlocked: boolean;
  /** The tamper circuit is open now. */
  tamperLive: boolean;
  /** The tamper circuit was opened since the last reset. */
  tamperLatched: boolean;
  readHeadFault: boolean;
  lowPower: boolean;
}

export interface ReaderStatus extends ReaderFlags {
  /** Card reads since the reader powered on. */
  reads: number;
  /** Failed card reads since the reader powered on. */
  readErrors: number;
}

export interface CardReaderReading extends ReaderStatus {
  /** Reads and failed reads since the previous poll; a reader restart counts from 0, never negative. */
  sincePrevious: { reads: number; readErrors: number };
  /** Times the counters went back (the reader restarted) since the agent started. */
  counterResets: number;
  firmware?: string;
  serial?: string;
  /** Events the reader sent since the agent started: counted, their data never kept. */
  events: Record<ReaderEvent, number>;
  /** Noise, rejected frames, NAKs and frames nobody asked for. */
  protocolErrors: number;
}

// ---- battery (the power_supply class) ----

export type BatteryHealth =
  | 'Unknown' | 'Good' | 'Overheat' | 'Dead' | 'Over voltage' | 'Unspecified failure' | 'Cold'
  | 'Watchdog timer expire' | 'Safety timer expire' | 'Over current' | 'Calibration required'
  | 'Warm' | 'Cool' | 'Hot';

export interface BatteryReading {
  /** The supply folder under class/power_supply, when one was found. */
  supply?: string;
  present: boolean;
  status?: BatteryStatus;
  percent?: number;
  health?: BatteryHealth;
  voltageV?: number;
  /** Magnitude only: drivers disagree on the sign; `status` gives the direction. */
  currentMa?: number;
  temperatureC?: number;
  cycleCount?: number;
  /** charge_full / charge_full_design (or the energy pair), in percent. */
  stateOfHealthPercent?: number;
  mains?: string;
  mainsOnline?: boolean;
}

// ---- system ----

/** How the agent came to start (SPEC.md section 4). */
export type Restart = BirthMessage['restart'];

export interface BootRecord {
  bootId: string;
  /** When the agent first saw this boot (wall clock, ms). */
  at: number;
  /** How the agent came to start in this boot; absent for a boot seen while running (the simulator's). */
  restart?: Restart;
}

/** The clock and the boots, as the system device reports them. */
export interface ClockAndBoots {
  /** The wall clock at the poll, and the agent's build time: earlier than that, the clock is wrong. */
  wallClock: number;
  builtAt: number;
  /** Present only when `clockSyncFile` is configured. */
  clockSynced?: boolean;
  /** How long the clock has been unsynchronized, on the monotonic clock. */
  unsyncedSeconds?: number;
  bootId?: string;
  /** The last boots the agent has seen, oldest first, each with how the agent came to start. */
  boots: BootRecord[];
}

/** Memory, load, uptime and free space of the terminal itself, its clock and its boots. Sizes in MiB. */
export interface SystemReading extends Partial<ClockAndBoots> {
  memTotalMb?: number;
  memAvailableMb?: number;
  memAvailablePercent?: number;
  load1?: number;
  load5?: number;
  load15?: number;
  uptimeSeconds?: number;
  /** Space on the state folder's filesystem available to the agent (statfs `bavail`). */
  diskFreeMb?: number;
  diskTotalMb?: number;
  diskFreePercent?: number;
}

// ---- app (the payment application's processes) ----

export interface ProcessInstance {
  pid: number;
  /** Epoch ms, from the boot time and the process's start in clock ticks. */
  startedAt?: number;
  rssKb?: number;
  cpuSeconds: number;
}

export interface WatchedProcess {
  name: string;
  comm: string;
  minCount: number;
  count: number;
  instances: ProcessInstance[];
  /** Starts seen since the agent started (a new pid or start time), the first poll's not counted. */
  restarts: number;
  /** When those starts were seen (wall clock, epoch ms), the last hour's. */
  starts: number[];
  /**
   * How long before this poll each of `starts` was seen, on the monotonic clock, in the same
   * order: the crash-loop window counts these, so a step of the wall clock neither hides nor
   * invents a loop.
   */
  startAgesMs: number[];
}

export interface AppReading {
  processes: WatchedProcess[];
  /** Processes listed in this poll. */
  scanned: number;
}

// ---- merchant (the payment application's parameters file) ----

export type MerchantField = 'mid' | 'tid' | 'mcc' | 'name';

/** The values of the watched fields; `null` where the file has none. */
export type MerchantValues = Record<MerchantField, string | null>;

export type BaselineHow = 'provisioned' | 'first-read' | 'approved';

export interface BaselineEntry {
  value: string | null;
  how: BaselineHow;
  at: number;
  /** The technician key that approved it. */
  kid?: string;
}

export type Baseline = Partial<Record<MerchantField, BaselineEntry>>;

export interface FieldChange {
  baseline: string | null;
  current: string | null;
}

/** One read of the parameters file against the baseline. */
export interface MerchantReading {
  file: string;
  /** The watched values now; absent when the file could not be read or decoded. */
  values?: MerchantValues;
  /** Where the MCC came from: its own field, digits 8 to 11 of the merchant number, or nowhere. */
  mccFrom?: 'field' | 'mid' | 'none';
  /** Why the file could not be used this time. */
  problem?: string;
  baseline: Baseline;
  /** The fields that differ from the baseline, with both values; empty when none does. */
  changed?: Partial<Record<MerchantField, FieldChange>>;
  expectedMcc?: string[];
}

// ---- certificates ----

export interface CertificateInfo {
  file: string;
  /** Its place in the file (a chain holds several), from 1. */
  index: number;
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  daysLeft: number;
  state: 'valid' | 'expiring' | 'expired' | 'not-yet-valid';
}

export interface CertificatesReading {
  certificates: CertificateInfo[];
  /** Files whose certificates could not all be read: what they hold is unknown, not fine. */
  unreadable: string[];
}

/** Each device's reading, by device name. */
export interface DeviceReadings {
  printer: PrinterReading;
  cardReader: CardReaderReading;
  battery: BatteryReading;
  network: NetworkReading;
  system: SystemReading;
  app: AppReading;
  merchant: MerchantReading;
  certificates: CertificatesReading;
}
