import * as z from '../../protocol/schema.js';
import { baudRate, pollSeconds, ttyPath } from '../config-parts.js';
import type { DeviceModule } from '../types.js';
import { createCardReaderDriver, type CardReaderConfig } from './driver.js';
import { CARD_READER_THRESHOLDS, cardReaderRules } from './faults.js';
import type { CardReaderReading } from '../../protocol/readings.js';

export const cardReader: DeviceModule<CardReaderConfig, CardReaderReading, 'cardReader'> = {
  name: 'cardReader',
  config: z.strictObject({
    path: ttyPath('the tty of the card reader, e.g. /dev/ttyS2'),
    baudRate: baudRate(38400),
    pollSeconds: pollSeconds(5),
  }),
  thresholds: CARD_READER_THRESHOLDS,
  pollSeconds: (config) => config.pollSeconds,
  create: createCardReaderDriver,
  rules: cardReaderRules,
  // Counters, firmware and flags are in the status command's answer; faults say what is wrong.
  heartbeat: (sample) => ({ online: sample.ok }),
};
