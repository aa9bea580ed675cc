import fs from 'node:fs';
import path from 'node:path';
import type { SerialOpener } from '../drivers/serial/transport.js';
import { PAYAPP_COMM, SimApp, type AppState } from './app.js';
import { SimBattery, type BatteryState } from './battery.js';
import { SimCertificate, type CertificateState } from './certificates.js';
import { SimCardReader, TEST_TRACK, type CardReaderState } from './card-reader.js';
import { FileTree } from './file-tree.js';
import { SIM_MERCHANT_FIELDS, SimMerchant, type MerchantState } from './merchant.js';
import { SimModem, type ModemState } from './modem.js';
import { SimNetwork, type NetworkState } from './network.js';
import { SimPrinter, type PrinterState } from './printer.js';
import { ProbeHost, type ProbeHostMode } from './probe-host.js';
import { SimSystem, type SystemState } from './system.js';
import { memoryOpener, MemoryWire, ptyWire, type SerialWiring, type SimWire } from './wiring.js';

/**
 * One simulated terminal in a folder: `sys/` and `proc/` trees for the battery, the system and the
 * network interface, and, once attached, a printer, a card reader and a modem on serial lines
 * (pseudo-terminals or in-process pairs) and the acquirer's host on loopback. Each device's state
 * can be set; `agentConfig` writes the config that points an agent at all of it.
 */

export const SERIAL_DEVICES = ['printer', 'cardReader', 'modem'] as const;
export type SerialDevice = (typeof SERIAL_DEVICES)[number];

export interface TerminalChange {
  battery?: Partial<BatteryState>;
  system?: Partial<SystemState>;
  network?: Partial<NetworkState>;
  printer?: Partial<PrinterState>;
  cardReader?: Partial<CardReaderState>;
  modem?: Partial<ModemState>;
  merchant?: Partial<MerchantState>;
  probe?: { mode: ProbeHostMode };
  /** Reboots: a new boot id `reboots` times, one every `everyMs` [just over the system poll]. */
  boot?: { reboots: number; everyMs?: number };
  /** The clock sync flag (systemd-timesyncd's `synchronized` file) present or absent. */
  clockSync?: { synced: boolean };
  /** The acquirer CA certificate's dates, made again with openssl. */
  certificate?: Partial<CertificateState>;
  /** The payment application's processes in the proc tree. */
  app?: Partial<Omit<AppState, 'pid'>>;
  /** Cards through the reader now (after any cardReader change, so its error ratio applies). */
  swipe?: { count: number };
  /** What an upgrade tool does: creates or removes `stateDir/maintenance`. */
  maintenance?: { on: boolean; reason?: string };
  /** Fills the state folder's filesystem with a ballast file, or removes it. */
  disk?: { full: boolean };
}

/** The largest ballast the simulator writes: filling a real disk is not a simulation. */
const MAX_BALLAST_BYTES = 512 * 1024 * 1024;

export interface AgentConfigOptions {
  brokerUrl: string;
  terminalId?: string;
  protocolVersion?: 4 | 5;
  heartbeatSeconds?: number;
  logLevel?: string;
  batteryPollSeconds?: number;
  systemPollSeconds?: number;
  /** Poll interval of the printer, the card reader and the network, when attached. */
  serialPollSeconds?: number;
  networkPollSeconds?: number;
  appPollSeconds?: number;
  merchantPollSeconds?: number;
  certificatesPollSeconds?: number;
}

const BAUD: Record<SerialDevice, number> = { printer: 115200, cardReader: 38400, modem: 115200 };

export class SimTerminal {
  readonly sys: FileTree;
  readonly proc: FileTree;
  readonly battery: SimBattery;
  readonly system: SimSystem;
  readonly network: SimNetwork;
  readonly app: SimApp;
  readonly merchant: SimMerchant;
  readonly stateDir: string;
  readonly logDir: string;
  printer?: SimPrinter;
  cardReader?: SimCardReader;
  modem?: SimModem;
  probeHost?: ProbeHost;
  /** Made when the devices are attached, if openssl is installed. */
  certificate?: SimCertificate;
  private ownProbeHost = false;
  /** Between simulated reboots: longer than the system poll of the config written last. */
  private rebootEveryMs = 1_500;
  private readonly wires = new Map<SerialDevice, SimWire>();
  private swiping: ReturnType<typeof setInterval> | undefined;

  constructor(readonly dir: string) {
    this.sys = new FileTree(path.join(dir, 'sys'));
    this.proc = new FileTree(path.join(dir, 'proc'));
    this.stateDir = path.join(dir, 'state');
    this.logDir = path.join(dir, 'log');
    fs.mkdirSync(this.stateDir, { recursive: true });
    this.battery = new SimBattery(this.sys);
    this.system = new SimSystem(this.proc);
    this.network = new SimNetwork(this.sys, this.proc, 'wwan0');
    this.app = new SimApp(this.proc, () => this.system.bootTime());
    this.merchant = new SimMerchant(dir);
    fs.mkdirSync(path.dirname(this.clockSyncFile), { recursive: true });
    fs.writeFileSync(this.clockSyncFile, '');
  }

  /** Stands in for `/run/systemd/timesync/synchronized`. */
  get clockSyncFile(): string {
    return path.join(this.dir, 'run', 'timesync', 'synchronized');
  }

  /**
   * Puts the printer, the card reader and the modem on serial lines, and the acquirer's host on
   * loopback (its own, or one shared by a simulated fleet).
   */
  async attachDevices(wiring: SerialWiring, sharedProbeHost?: ProbeHost): Promise<void> {
    for (const device of SERIAL_DEVICES) {
      const wire = wiring.kind === 'pty' ? await ptyWire(wiring.socat, this.dir, device, BAUD[device]) : new MemoryWire(`${path.basename(this.dir)}-${device}`);
      if (wire instanceof MemoryWire) await wire.open();
      this.wires.set(device, wire);
    }
    this.printer = new SimPrinter(this.wires.get('printer')!.deviceEnd);
    this.cardReader = new SimCardReader(this.wires.get('cardReader')!.deviceEnd);
    this.modem = new SimModem();
    await this.modem.attach(this.wires.get('modem')!.deviceEnd);
    this.probeHost = sharedProbeHost ?? (await ProbeHost.start());
    this.ownProbeHost = sharedProbeHost === undefined;
    this.network.startTraffic(1_000);
  }

  /**
   * The payment application's acquirer CA certificate, made with openssl (and the certificates
   * device in the agent's config). Left out when openssl is missing; fleet mode leaves it out.
   */
  async attachCertificate(): Promise<void> {
    if (!SimCertificate.available()) return;
    this.certificate = new SimCertificate(path.join(this.dir, 'certs', 'acquirer-ca.pem'));
    fs.mkdirSync(path.dirname(this.certificate.file), { recursive: true });
    await this.certificate.set({});
  }

  /** The agent's serial opener for in-process lines (demo, fleet); a pty needs none. */
  serialOpener(): SerialOpener {
    return memoryOpener(() => this.wires.values());
  }

  /** Cards go through the reader every so often, each read carrying the test card's track data. */
  startCardTraffic(everyMs: number): void {
    clearInterval(this.swiping);
    this.swiping = setInterval(() => this.cardReader?.swipe(1, { track: TEST_TRACK }), everyMs);
  }

  async apply(change: TerminalChange): Promise<void> {
    if (change.battery) this.battery.set(change.battery);
    if (change.system) this.system.set(change.system);
    if (change.network) this.network.set(change.network);
    if (change.boot) this.system.reboot(change.boot.reboots, change.boot.everyMs ?? this.rebootEveryMs);
    if (change.clockSync) {
      if (change.clockSync.synced) fs.writeFileSync(this.clockSyncFile, '');
      else fs.rmSync(this.clockSyncFile, { force: true });
    }
    if (change.app) this.app.set(change.app);
    if (change.merchant) this.merchant.set(change.merchant);
    if (change.printer) this.need('printer', this.printer).set(change.printer);
    if (change.cardReader) this.need('cardReader', this.cardReader).set(change.cardReader);
    if (change.modem) this.need('modem', this.modem).set(change.modem);
    if (change.swipe) this.need('cardReader', this.cardReader).swipe(change.swipe.count, { track: TEST_TRACK });
    if (change.maintenance) {
      const file = path.join(this.stateDir, 'maintenance');
      if (change.maintenance.on) fs.writeFileSync(file, change.maintenance.reason ?? '');
      else fs.rmSync(file, { force: true });
    }
    if (change.disk) this.fillDisk(change.disk.full);
    if (change.certificate) await this.need('certificate (needs openssl)', this.certificate).set(change.certificate);
    if (change.probe) await this.need('probe', this.probeHost).setMode(change.probe.mode);
  }

  /**
   * Leaves 3 % (at most 10 MiB) of the state folder's filesystem free, for SYS_DISK_LOW through
   * the agent's real statfs. Only a small filesystem qualifies (`pos-agent sim --state-size`).
   */
  private fillDisk(full: boolean): void {
    const ballast = path.join(this.stateDir, 'ballast');
    fs.rmSync(ballast, { force: true });
    if (!full) return;
    const stat = fs.statfsSync(this.stateDir);
    const total = stat.blocks * stat.bsize;
    const bytes = Math.floor(stat.bavail * stat.bsize - Math.min(total * 0.03, 10 * 1024 * 1024));
    if (bytes > MAX_BALLAST_BYTES) {
      throw new Error(
        `the state folder's filesystem has ${Math.round(bytes / 1048576)} MiB to fill; give the simulator a small one (pos-agent sim --state-size 64, as root)`,
      );
    }
    const fd = fs.openSync(ballast, 'w');
    try {
      const chunk = Buffer.alloc(1024 * 1024);
      for (let written = 0; written < bytes; written += chunk.length) fs.writeSync(fd, chunk, 0, Math.min(chunk.length, bytes - written));
    } finally {
      fs.closeSync(fd);
    }
  }

  /** The device's tty disappears, as when its cable is pulled. */
  async unplug(device: SerialDevice): Promise<void> {
    await this.wire(device).unplug();
  }

  async plug(device: SerialDevice): Promise<void> {
    await this.wire(device).plug();
  }

  /** Every simulated device's state, for `pos-agent sim status`. */
  state(): Record<string, unknown> {
    return {
      battery: this.battery.current,
      system: this.system.current,
      network: this.network.current,
      app: this.app.current,
      merchant: this.merchant.current,
      certificate: this.certificate?.current,
      printer: this.printer?.current,
      cardReader: this.cardReader?.current,
      modem: this.modem?.current,
      probe: this.probeHost ? { mode: this.probeHost.mode, port: this.probeHost.port } : undefined,
      maintenance: fs.existsSync(path.join(this.stateDir, 'maintenance')),
      clockSynced: fs.existsSync(this.clockSyncFile),
    };
  }

  agentConfig(options: AgentConfigOptions): Record<string, unknown> {
    // A reboot's new boot id must stay until the agent's next system poll has seen it.
    this.rebootEveryMs = Math.max(1_500, (options.systemPollSeconds ?? 60) * 1000 + 500);
    const devices: Record<string, unknown> = {
      battery: { supply: this.battery.supply, mains: this.battery.mains, pollSeconds: options.batteryPollSeconds ?? 30 },
      system: { pollSeconds: options.systemPollSeconds ?? 60, clockSyncFile: this.clockSyncFile },
      merchant: { file: this.merchant.file, format: 'json', pollSeconds: options.merchantPollSeconds ?? 10, fields: SIM_MERCHANT_FIELDS, expectedMcc: ['5812'] },
    };
    if (this.wires.size > 0) {
      const serialPoll = options.serialPollSeconds ?? 5;
      devices.printer = { path: this.wire('printer').agentPath, baudRate: BAUD.printer, pollSeconds: serialPoll, statusBack: true };
      devices.cardReader = { path: this.wire('cardReader').agentPath, baudRate: BAUD.cardReader, pollSeconds: serialPoll };
      devices.network = {
        interface: this.network.name,
        pollSeconds: options.networkPollSeconds ?? 10,
        modem: { path: this.wire('modem').agentPath, baudRate: BAUD.modem },
        // A probe every poll, so that a change of the probe host shows within a poll or two.
        probe: { host: this.probeHost!.host, port: this.probeHost!.port, timeoutMs: 3000, answeringSeconds: options.networkPollSeconds ?? 10 },
      };
      devices.app = { processes: [{ name: 'payment', comm: PAYAPP_COMM }], pollSeconds: options.appPollSeconds ?? 10 };
    }
    if (this.certificate) devices.certificates = { files: [this.certificate.file], warnDays: 30, pollSeconds: options.certificatesPollSeconds ?? 3600 };
    return {
      terminalId: options.terminalId ?? 'SIM-0001',
      mqtt: { url: options.brokerUrl, protocolVersion: options.protocolVersion ?? 4, topicRoot: 'pos/v1', keepaliveSeconds: 30 },
      heartbeatSeconds: options.heartbeatSeconds ?? 60,
      stateDir: this.stateDir,
      logDir: this.logDir,
      logLevel: options.logLevel ?? 'info',
      sysfsRoot: this.sys.root,
      procRoot: this.proc.root,
      devices,
    };
  }

  async close(): Promise<void> {
    clearInterval(this.swiping);
    this.app.close();
    this.system.close();
    this.network.stopTraffic();
    await this.modem?.close();
    for (const wire of this.wires.values()) await wire.close();
    this.wires.clear();
    if (this.ownProbeHost) await this.probeHost?.close();
  }

  private wire(device: SerialDevice): SimWire {
    const wire = this.wires.get(device);
    if (!wire) throw new Error(`${device} is not attached to this simulated terminal`);
    return wire;
  }

  private need<T>(device: string, value: T | undefined): T {
    if (value === undefined) throw new Error(`${device} is not attached to this simulated terminal`);
    return value;
  }
}
