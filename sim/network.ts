import fs from 'node:fs';
import type { FileTree } from './file-tree.js';
import { checkFields } from './device-state.js';
import type { CounterName, Operstate } from '../protocol/network-reading.js';

/**
 * One network interface under `class/net/<if>/` and its line in `/proc/net/wireless`, as the
 * kernel shows them. Files cannot fail a read with EINVAL as the kernel's `carrier` does on an
 * administratively downed interface, so `adminDown` makes `carrier` a folder: its read fails
 * (EISDIR), which is the closest honest stand-in a file tree has. The driver's EINVAL-is-0 path
 * is covered by a unit test with a reader that throws EINVAL.
 */

export interface NetworkState {
  operstate: Operstate;
  carrier: 0 | 1;
  /** `ip link set <if> down`: operstate `down` and a carrier that cannot be read. */
  adminDown: boolean;
  /** The interface folder is gone (a USB modem unplugged, its driver unloaded). */
  present: boolean;
  /** A Wi-Fi interface's line in /proc/net/wireless; undefined for a cellular or wired one. */
  wireless?: { linkQuality: number; levelDbm: number; noiseDbm?: number };
  /** Replaces a file's content with anything, e.g. `{ operstate: 'sideways' }`. */
  raw?: Partial<Record<string, string>>;
}

export const HEALTHY_CELLULAR: NetworkState = {
  // Cellular and ppp interfaces report `unknown` while they work.
  operstate: 'unknown',
  carrier: 1,
  adminDown: false,
  present: true,
};

const ZERO: Record<CounterName, number> = {
  rx_packets: 0, tx_packets: 0, rx_bytes: 0, tx_bytes: 0, rx_errors: 0, tx_errors: 0, rx_dropped: 0, tx_dropped: 0,
};

const WIRELESS_HEADER = [
  'Inter-| sta-|   Quality        |   Discarded packets               | Missed | WE',
  ' face | tus | link level noise |  nwid  crypt   frag  retry   misc | beacon | 22',
];

export class SimNetwork {
  private state: NetworkState;
  private counters = { ...ZERO };
  private trafficTimer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly sys: FileTree,
    private readonly proc: FileTree,
    readonly name = 'wwan0',
    initial: Partial<NetworkState> = {},
  ) {
    this.state = { ...HEALTHY_CELLULAR, ...initial };
    this.write();
  }

  get current(): Readonly<NetworkState> {
    return this.state;
  }

  get traffic(): Readonly<Record<CounterName, number>> {
    return this.counters;
  }

  set(change: Partial<NetworkState>): void {
    checkFields('network', change, HEALTHY_CELLULAR, ['wireless', 'raw']);
    this.state = { ...this.state, ...change };
    this.write();
  }

  /** Traffic passes: the counters advance. */
  advance(packets: { rx?: number; tx?: number; rxErrors?: number; txErrors?: number; rxDropped?: number; txDropped?: number }): void {
    const c = this.counters;
    c.rx_packets += packets.rx ?? 0;
    c.tx_packets += packets.tx ?? 0;
    c.rx_bytes += (packets.rx ?? 0) * 600;
    c.tx_bytes += (packets.tx ?? 0) * 200;
    c.rx_errors += packets.rxErrors ?? 0;
    c.tx_errors += packets.txErrors ?? 0;
    c.rx_dropped += packets.rxDropped ?? 0;
    c.tx_dropped += packets.txDropped ?? 0;
    this.write();
  }

  /** The driver reloaded: every counter starts again from 0. */
  resetCounters(): void {
    this.counters = { ...ZERO };
    this.write();
  }

  /** Advances the counters by themselves, a few packets every `everyMs`, until stopped. */
  startTraffic(everyMs = 1_000): void {
    this.stopTraffic();
    this.trafficTimer = setInterval(() => this.advance({ rx: 12, tx: 9 }), everyMs);
    this.trafficTimer.unref();
  }

  stopTraffic(): void {
    clearInterval(this.trafficTimer);
    this.trafficTimer = undefined;
  }

  private write(): void {
    const s = this.state;
    const base = `class/net/${this.name}`;
    this.writeWireless();
    if (!s.present) {
      this.sys.remove(base);
      return;
    }
    this.sys.write(`${base}/operstate`, `${s.adminDown ? 'down' : s.operstate}\n`);
    const carrier = `${base}/carrier`;
    const carrierIsFolder = fs.statSync(this.sys.path(carrier), { throwIfNoEntry: false })?.isDirectory() ?? false;
    if (s.adminDown) {
      if (!carrierIsFolder) {
        this.sys.remove(carrier);
        fs.mkdirSync(this.sys.path(carrier));
      }
    } else {
      // A file renamed over a file is atomic; over a folder it fails, so the folder goes first.
      if (carrierIsFolder) this.sys.remove(carrier);
      this.sys.write(carrier, `${s.carrier}\n`);
    }
    for (const [name, value] of Object.entries(this.counters)) this.sys.write(`${base}/statistics/${name}`, `${value}\n`);
    for (const [file, value] of Object.entries(s.raw ?? {})) this.sys.write(`${base}/${file}`, `${value}\n`);
  }

  private writeWireless(): void {
    const w = this.state.present ? this.state.wireless : undefined;
    const lines = [...WIRELESS_HEADER];
    if (w) {
      const field = (value: number, width: number) => `${value}.`.padStart(width);
      lines.push(` ${this.name}: 0000 ${field(w.linkQuality, 5)} ${field(w.levelDbm, 5)} ${field(w.noiseDbm ?? -256, 6)}        0      0      0      0      0        0`);
    }
    this.proc.write('net/wireless', `${lines.join('\n')}\n`);
  }
}
