import * as z from '../../protocol/schema.js';
import { baudRate, pollSeconds, ttyPath } from '../config-parts.js';
import type { DeviceModule } from '../types.js';
import { createPrinterDriver, type PrinterConfig } from './driver.js';
import { PRINTER_THRESHOLDS, printerRules } from './faults.js';
import type { PrinterReading } from '../../protocol/readings.js';

export const printer: DeviceModule<PrinterConfig, PrinterReading, 'printer'> = {
  name: 'printer',
  config: z.strictObject({
    path: ttyPath('the tty of the printer, e.g. /dev/ttyS1'),
    baudRate: baudRate(115200),
    pollSeconds: pollSeconds(5),
    // On by default: paper out and an open cover are then known as they happen, not at the next
    // poll. A printer without status back ignores the command and is still polled.
    statusBack: z._default(z.boolean(), true),
  }),
  thresholds: PRINTER_THRESHOLDS,
  pollSeconds: (config) => config.pollSeconds,
  create: createPrinterDriver,
  rules: printerRules,
  heartbeat(sample) {
    // Online means it answers on its line: a printer with its cover open is online (SPEC.md section 4).
    if (!sample.ok) return { online: false };
    return { online: true, paper: sample.reading.paper };
  },
};
