import type { FaultCode } from '../protocol/faults.js';
import type { TerminalChange } from './terminal.js';

/**
 * What to do to a simulated terminal to make a fault happen, and to make it go away: the device
 * states behind each fault code, so a user can say `pos-agent sim inject PRINTER_PAPER_OUT`
 * without knowing which bit of which status byte that is.
 */
export interface Injection {
  inject: TerminalChange;
  clear: TerminalChange;
  /** How the fault is made on the simulator, for its answers. */
  how: string;
}

const onBattery = { status: 'Discharging' as const, mainsOnline: false };

/** Codes no simulated device can cause, and how to cause them instead. */
export const NOT_INJECTABLE: Partial<Record<FaultCode, string>> = {
  SYS_CLOCK_INVALID: "the agent's own wall clock: run the agent under libfaketime with a date before its build (FAKETIME='@2001-01-01 00:00:00')",
};

export const INJECTIONS: Partial<Record<FaultCode, Injection>> = {
  PRINTER_OFFLINE: { inject: { printer: { silent: true } }, clear: { printer: { silent: false } }, how: 'the printer answers nothing' },
  PRINTER_PAPER_OUT: { inject: { printer: { paper: 'out' } }, clear: { printer: { paper: 'ok' } }, how: 'roll paper end sensor' },
  PRINTER_PAPER_LOW: { inject: { printer: { paper: 'low' } }, clear: { printer: { paper: 'ok' } }, how: 'roll paper near-end sensor' },
  PRINTER_COVER_OPEN: { inject: { printer: { coverOpen: true } }, clear: { printer: { coverOpen: false } }, how: 'cover open' },
  PRINTER_CUTTER_ERROR: { inject: { printer: { cutterError: true } }, clear: { printer: { cutterError: false } }, how: 'autocutter error' },
  PRINTER_OVERHEAT: { inject: { printer: { overheat: true } }, clear: { printer: { overheat: false } }, how: 'head overheat (auto-recoverable error)' },
  PRINTER_FAILURE: { inject: { printer: { failure: true } }, clear: { printer: { failure: false } }, how: 'unrecoverable error' },
  READER_OFFLINE: { inject: { cardReader: { silent: true } }, clear: { cardReader: { silent: false } }, how: 'the reader answers nothing' },
  READER_JAMMED: { inject: { cardReader: { slotBlocked: true } }, clear: { cardReader: { slotBlocked: false } }, how: 'slot-blocked flag' },
  READER_TAMPER: {
    inject: { cardReader: { tamperLive: true } },
    clear: { cardReader: { tamperLive: false, tamperLatched: false } },
    how: 'tamper circuit open (clearing also resets the latch)',
  },
  READER_READ_ERRORS: {
    inject: { cardReader: { errorRatio: 0.5 }, swipe: { count: 20 } },
    clear: { cardReader: { errorRatio: 0 }, swipe: { count: 30 } },
    how: '20 card reads, half of them failing (clearing: 30 good reads)',
  },
  BATTERY_MISSING: { inject: { battery: { unplugged: true } }, clear: { battery: { unplugged: false } }, how: 'removes the battery folder' },
  BATTERY_LOW: { inject: { battery: { capacity: 12, ...onBattery } }, clear: { battery: { capacity: 80 } }, how: 'capacity 12 %, discharging' },
  BATTERY_CRITICAL: { inject: { battery: { capacity: 3, ...onBattery } }, clear: { battery: { capacity: 80 } }, how: 'capacity 3 %, discharging' },
  BATTERY_OVERHEAT: { inject: { battery: { temperatureC: 58 } }, clear: { battery: { temperatureC: 32 } }, how: 'temperature 58 °C' },
  BATTERY_DEGRADED: {
    inject: { battery: { chargeFullUah: 1_800_000 } },
    clear: { battery: { chargeFullUah: 2_850_000 } },
    how: 'full charge 60 % of design',
  },
  BATTERY_NOT_CHARGING: {
    inject: { battery: { mainsOnline: true, status: 'Not charging', capacity: 60 } },
    clear: { battery: { status: 'Charging' } },
    how: 'mains online, 60 %, "Not charging"',
  },
  NET_LINK_DOWN: { inject: { network: { operstate: 'down', carrier: 0 } }, clear: { network: { operstate: 'unknown', carrier: 1 } }, how: 'operstate down, carrier 0' },
  NET_NO_SIM: { inject: { modem: { sim: 'absent' } }, clear: { modem: { sim: 'ready' } }, how: 'SIM removed (+CME ERROR: 10)' },
  NET_NOT_REGISTERED: { inject: { modem: { creg: 2, cereg: 2 } }, clear: { modem: { creg: 1, cereg: 1 } }, how: 'searching (stat 2)' },
  NET_WEAK_SIGNAL: { inject: { modem: { rssi: 3 } }, clear: { modem: { rssi: 21 } }, how: 'rssi 3 (-107 dBm)' },
  NET_HOST_UNREACHABLE: { inject: { probe: { mode: 'refuse' } }, clear: { probe: { mode: 'accept' } }, how: 'the acquirer host refuses connections' },
  NET_HIGH_LATENCY: {
    inject: { probe: { mode: 'slow' } },
    clear: { probe: { mode: 'accept' } },
    how: 'the acquirer host answers after a SYN retransmit (about 2 s; 3 s on Linux before 6.6)',
  },
  MODEM_OFFLINE: { inject: { modem: { silent: true } }, clear: { modem: { silent: false } }, how: 'the modem answers nothing' },
  SYS_DISK_LOW: {
    inject: { disk: { full: true } },
    clear: { disk: { full: false } },
    how: 'a ballast file leaves 3 % of the state folder\'s filesystem free',
  },
  APP_DOWN: { inject: { app: { running: false } }, clear: { app: { running: true } }, how: 'the payment application (payapp) exits' },
  APP_CRASH_LOOP: {
    inject: { app: { crashLoop: true } },
    clear: { app: { crashLoop: false } },
    how: 'payapp restarts under a new pid every 1.5 s (clearing: it stays up; the fault clears 10 min after its last start)',
  },
  SYS_CLOCK_UNSYNCED: {
    inject: { clockSync: { synced: false } },
    clear: { clockSync: { synced: true } },
    how: 'removes the clock sync flag file (the fault is raised after 10 min without it)',
  },
  SYS_REBOOT_LOOP: {
    inject: { boot: { reboots: 3 } },
    clear: { boot: { reboots: 0 } },
    how: 'three new boot ids, one per system poll of the agent; the fault clears an hour after the last boot',
  },
  CERT_EXPIRING: {
    inject: { certificate: { expiresInDays: 10 } },
    clear: { certificate: { expiresInDays: 365 } },
    how: 'the acquirer CA certificate made again with openssl, expiring in 10 days',
  },
  CERT_EXPIRED: {
    inject: { certificate: { expiresInDays: -1 } },
    clear: { certificate: { expiresInDays: 365 } },
    how: 'the acquirer CA certificate made again with openssl, expired yesterday',
  },
  SYS_MEMORY_LOW: { inject: { system: { memAvailableMb: 20 } }, clear: { system: { memAvailableMb: 512 } }, how: 'MemAvailable 20 of 1024 MiB' },
  MERCHANT_CHANGED: {
    inject: { merchant: { name: 'Golden Dragon Supermarket' } },
    clear: { merchant: { name: 'Lao Wang Noodles' } },
    how: 'the merchant name in the parameters file changes (clearing: back to its baseline)',
  },
  MERCHANT_MCC_UNEXPECTED: {
    inject: { merchant: { mcc: '5411' } },
    clear: { merchant: { mcc: '5812' } },
    how: 'MCC 5411 where 5812 is expected (MERCHANT_CHANGED comes with it)',
  },
  MERCHANT_PARAMS_UNREADABLE: { inject: { merchant: { missing: true } }, clear: { merchant: { missing: false } }, how: 'the parameters file is removed' },
};
