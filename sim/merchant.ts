import fs from 'node:fs';
import path from 'node:path';
import { checkFields } from './device-state.js';

/**
 * The payment application's merchant parameters file on a simulated terminal, in `json` form.
 * A scenario or another shell changes a field as the application (or someone tampering with it)
 * would: the whole file is replaced at once, so the agent never reads it half-written unless told
 * to (`raw`).
 */
export interface MerchantState {
  mid: string;
  tid: string;
  mcc: string;
  name: string;
  /** The file is gone. */
  missing: boolean;
  /** Written as it is instead of the fields: garbage, a half-written file. */
  raw: string | null;
}

export const HEALTHY_MERCHANT: MerchantState = {
  mid: '102310058120007',
  tid: '00012345',
  mcc: '5812',
  name: 'Lao Wang Noodles',
  missing: false,
  raw: null,
};

/** Where the fields are in the file, for the agent's config. */
export const SIM_MERCHANT_FIELDS = { mid: 'merchant.mid', tid: 'merchant.tid', mcc: 'merchant.mcc', name: 'merchant.name' };

export class SimMerchant {
  private state: MerchantState = { ...HEALTHY_MERCHANT };
  readonly file: string;

  constructor(dir: string) {
    this.file = path.join(dir, 'payapp', 'params.json');
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    this.write();
  }

  get current(): Readonly<MerchantState> {
    return this.state;
  }

  set(change: Partial<MerchantState>): void {
    checkFields('merchant', change, this.state);
    const next = { ...this.state, ...change };
    // `pos-agent sim set merchant.mcc=5411` arrives as a number; the file holds identifiers as text.
    for (const field of ['mid', 'tid', 'mcc', 'name'] as const) if (typeof next[field] === 'number') next[field] = String(next[field]);
    this.state = next;
    this.write();
  }

  private write(): void {
    const { missing, raw, mid, tid, mcc, name } = this.state;
    if (missing) {
      fs.rmSync(this.file, { force: true });
      return;
    }
    const text = raw ?? `${JSON.stringify({ version: 3, acquirer: { host: '127.0.0.1', port: 8583 }, merchant: { mid, tid, mcc, name } }, null, 2)}\n`;
    const temporary = `${this.file}.tmp`;
    fs.writeFileSync(temporary, text);
    fs.renameSync(temporary, this.file);
  }
}
