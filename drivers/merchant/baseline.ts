import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { errnoCode, errorMessage } from '../../basics/errors.js';
import { MERCHANT_FIELDS } from './codec.js';
import type { Baseline, FieldChange, MerchantField, MerchantValues } from '../../protocol/readings.js';

/**
 * The merchant identity this terminal holds its parameters file against, field by field: the
 * provisioned value (`expected` in the config), else the first value read (trust on first use),
 * until a technician approves another. Kept in the state folder, written atomically, so that
 * neither a restart nor a crash forgets it or trusts a changed file anew.
 */

export interface SavedBaseline {
  fields: Baseline;
  /**
   * The `expected` values this baseline was provisioned with: a provisioned value replaces the
   * field's baseline only when it is new, so an approval outlives a restart with the same config.
   */
  provisioned: Partial<Record<MerchantField, string>>;
}

export const BASELINE_FILE = 'merchant-baseline.json';

export class BaselineStore {
  readonly file: string;

  constructor(
    stateDir: string,
    private readonly log: Logger,
  ) {
    this.file = path.join(stateDir, BASELINE_FILE);
  }

  load(): SavedBaseline {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') this.log.error({ file: this.file, err: errorMessage(error) }, 'merchant baseline cannot be read; it is taken again');
      return { fields: {}, provisioned: {} };
    }
    try {
      const saved = JSON.parse(text) as SavedBaseline;
      if (typeof saved.fields !== 'object' || typeof saved.provisioned !== 'object') throw new Error('not a baseline');
      return { fields: pick(saved.fields), provisioned: pick(saved.provisioned) };
    } catch (error) {
      // Written atomically, so this is not a torn write: keep it for a person to look at.
      const aside = `${this.file}.corrupt`;
      fs.renameSync(this.file, aside);
      this.log.error({ file: this.file, aside, err: errorMessage(error) }, 'merchant baseline is corrupt; kept aside, and taken again');
      return { fields: {}, provisioned: {} };
    }
  }

  /** Temporary file, fsync, rename, fsync of the folder: the old or the new baseline, never half. */
  save(saved: SavedBaseline): void {
    const temporary = `${this.file}.tmp`;
    const fd = fs.openSync(temporary, 'w', 0o600);
    try {
      fs.writeSync(fd, `${JSON.stringify(saved)}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temporary, this.file);
    const dir = fs.openSync(path.dirname(this.file), 'r');
    try {
      fs.fsyncSync(dir);
    } finally {
      fs.closeSync(dir);
    }
  }
}

/** Applies the config's `expected` values that are new since the last provisioning. Returns whether anything changed. */
export function provision(saved: SavedBaseline, expected: Partial<Record<MerchantField, string>>, at: number): boolean {
  let changed = false;
  for (const field of MERCHANT_FIELDS) {
    const value = expected[field];
    if (value === undefined || saved.provisioned[field] === value) continue;
    saved.fields[field] = { value, how: 'provisioned', at };
    saved.provisioned[field] = value;
    changed = true;
  }
  return changed;
}

/** Trust on first use: a field without a baseline takes the value read. Returns whether anything changed. */
export function adoptFirstRead(saved: SavedBaseline, values: MerchantValues, at: number): boolean {
  let changed = false;
  for (const field of MERCHANT_FIELDS) {
    if (saved.fields[field] !== undefined) continue;
    saved.fields[field] = { value: values[field], how: 'first-read', at };
    changed = true;
  }
  return changed;
}

export function approve(saved: SavedBaseline, values: MerchantValues, kid: string, at: number): void {
  for (const field of MERCHANT_FIELDS) saved.fields[field] = { value: values[field], how: 'approved', at, kid };
}

/** The fields whose value differs from the baseline, with both values. */
export function differences(baseline: Baseline, values: MerchantValues): Partial<Record<MerchantField, FieldChange>> {
  const changes: Partial<Record<MerchantField, FieldChange>> = {};
  for (const field of MERCHANT_FIELDS) {
    const entry = baseline[field];
    if (entry !== undefined && entry.value !== values[field]) changes[field] = { baseline: entry.value, current: values[field] };
  }
  return changes;
}

function pick<T>(record: Record<string, T>): Partial<Record<MerchantField, T>> {
  const out: Partial<Record<MerchantField, T>> = {};
  for (const field of MERCHANT_FIELDS) if (record[field] !== undefined) out[field] = record[field];
  return out;
}
