import * as z from '../../protocol/schema.js';
import type { DeviceModule } from '../types.js';
import { createCardReaderDriver, type CardReaderConfig, type CardReaderReading } from './driver.js';
import { CARD_READER_THRESHOLDS, cardReaderRules } from './faults.js';

export const cardReader: DeviceModule<CardReaderConfig, CardReaderReading, 'cardReader'> = {
  name: 'cardReader',
  config: z.strictObject({
    path: z.string().check(z.minLength(1, 'the tty of the card reader, e.g. /dev/ttyS2')),
    baudRate: z._default(z.int().check(z.gte(50), z.lte(4_000_000)), 38400),
    pollSeconds: z._default(z.number().check(z.gte(0.1), z.lte(86_400)), 5),
  }),
  thresholds: CARD_READER_THRESHOLDS,
  pollSeconds: (config) => config.pollSeconds,
  create: createCardReaderDriver,
  rules: cardReaderRules,
  // Counters, firmware and flags are in the status command's answer; faults say what is wrong.
  heartbeat: (sample) => ({ online: sample.ok }),
};
