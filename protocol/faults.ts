import type { DeviceName } from './devices.js';

export type Severity = 'critical' | 'warning';

export interface FaultDefinition {
  device: DeviceName;
  severity: Severity;
  /** What a merchant or a help desk reads; the code is what a back end keys on. */
  message: string;
}

/** Every fault code of the contract (SPEC.md section 5), with its device and severity. */
export const FAULTS = {
  PRINTER_OFFLINE: { device: 'printer', severity: 'critical', message: 'Printer does not answer or is offline' },
  PRINTER_PAPER_OUT: { device: 'printer', severity: 'critical', message: 'Printer is out of paper' },
  PRINTER_PAPER_LOW: { device: 'printer', severity: 'warning', message: 'Printer paper is running low' },
  PRINTER_COVER_OPEN: { device: 'printer', severity: 'critical', message: 'Printer cover is open' },
  PRINTER_CUTTER_ERROR: { device: 'printer', severity: 'warning', message: 'Printer autocutter error' },
  PRINTER_OVERHEAT: { device: 'printer', severity: 'warning', message: 'Printer head is overheated' },
  PRINTER_FAILURE: { device: 'printer', severity: 'critical', message: 'Printer has an unrecoverable error' },
  READER_OFFLINE: { device: 'cardReader', severity: 'critical', message: 'Card reader does not answer' },
  READER_JAMMED: { device: 'cardReader', severity: 'critical', message: 'Card slot is blocked' },
  READER_TAMPER: { device: 'cardReader', severity: 'critical', message: 'Card reader tamper detected' },
  READER_READ_ERRORS: { device: 'cardReader', severity: 'warning', message: 'Card reader fails too many reads' },
  BATTERY_MISSING: { device: 'battery', severity: 'warning', message: 'Battery is missing' },
  BATTERY_LOW: { device: 'battery', severity: 'warning', message: 'Battery is low' },
  BATTERY_CRITICAL: { device: 'battery', severity: 'critical', message: 'Battery is critically low' },
  BATTERY_OVERHEAT: { device: 'battery', severity: 'critical', message: 'Battery is overheating' },
  BATTERY_DEGRADED: { device: 'battery', severity: 'warning', message: 'Battery is worn or failing' },
  BATTERY_NOT_CHARGING: { device: 'battery', severity: 'warning', message: 'Battery does not charge on mains power' },
  NET_LINK_DOWN: { device: 'network', severity: 'critical', message: 'Network link is down' },
  NET_NO_SIM: { device: 'network', severity: 'critical', message: 'No usable SIM card' },
  NET_NOT_REGISTERED: { device: 'network', severity: 'critical', message: 'Modem is not registered on a network' },
  NET_WEAK_SIGNAL: { device: 'network', severity: 'warning', message: 'Cellular signal is weak' },
  NET_HOST_UNREACHABLE: { device: 'network', severity: 'critical', message: 'Acquirer host is unreachable' },
  NET_HIGH_LATENCY: { device: 'network', severity: 'warning', message: 'Acquirer host answers slowly' },
  MODEM_OFFLINE: { device: 'network', severity: 'warning', message: 'Modem does not answer' },
  SYS_DISK_LOW: { device: 'system', severity: 'warning', message: 'Storage is almost full' },
  SYS_MEMORY_LOW: { device: 'system', severity: 'warning', message: 'Memory is almost exhausted' },
  SYS_CLOCK_INVALID: { device: 'system', severity: 'critical', message: 'System clock is set before the agent was built' },
  SYS_CLOCK_UNSYNCED: { device: 'system', severity: 'warning', message: 'System clock is not synchronized' },
  SYS_REBOOT_LOOP: { device: 'system', severity: 'warning', message: 'Terminal keeps rebooting' },
  APP_DOWN: { device: 'app', severity: 'critical', message: 'Payment application is not running' },
  APP_CRASH_LOOP: { device: 'app', severity: 'warning', message: 'Payment application keeps restarting' },
  MERCHANT_CHANGED: { device: 'merchant', severity: 'critical', message: 'Merchant identity differs from its baseline' },
  MERCHANT_MCC_UNEXPECTED: { device: 'merchant', severity: 'critical', message: 'Merchant category code is not one this merchant may use' },
  MERCHANT_PARAMS_UNREADABLE: { device: 'merchant', severity: 'warning', message: 'Merchant parameters file cannot be read' },
  CERT_EXPIRING: { device: 'certificates', severity: 'warning', message: 'A certificate expires soon' },
  CERT_EXPIRED: { device: 'certificates', severity: 'critical', message: 'A certificate has expired or is not yet valid' },
} as const satisfies Record<string, FaultDefinition>;

export type FaultCode = keyof typeof FAULTS;

export const FAULT_CODES = Object.keys(FAULTS) as FaultCode[];

export function isFaultCode(value: unknown): value is FaultCode {
  return typeof value === 'string' && Object.hasOwn(FAULTS, value);
}
