import { z } from 'zod';
import type { DeviceModule } from '../types.js';
import { createCardReaderDriver, type CardReaderConfig, type CardReaderReading } from './driver.js';
import { CARD_READER_THRESHOLDS, cardReaderRules } from './faults.js';

export const cardReader: DeviceModule<CardReaderConfig, CardReaderReading> = {
  name: 'cardReader',
  config: z.strictObject({
    path: z.string().min(1, 'the tty of the card reader, e.g. /dev/ttyS2'),
    baudRate: z.int().min(50).max(4_000_000).default(38400),
    pollSeconds: z.number().min(0.1).max(86_400).default(5),
  }),
  thresholds: CARD_READER_THRESHOLDS,
  pollSeconds: (config) => config.pollSeconds,
  create: createCardReaderDriver,
  rules: cardReaderRules,
  // Counters, firmware and flags are in the status command's answer; faults say what is wrong.
  heartbeat: (sample) => ({ online: sample.ok }),
};
