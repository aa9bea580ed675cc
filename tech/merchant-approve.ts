import readline from 'node:readline';
import { EXIT } from '../basics/exit.js';
import type { Style } from './format.js';
import type { TechSession } from './session.js';

/**
 * `pos-agent tech merchant-approve <terminalId>`: shows the technician the merchant values the
 * terminal reads now, against its baseline, asks, and approves exactly the values it showed. The
 * terminal reads its file again before it approves: one that changed since is refused.
 */

const FIELDS = ['mid', 'tid', 'mcc', 'name'] as const;
type Field = (typeof FIELDS)[number];
type Values = Record<Field, string | null>;

interface MerchantStatus {
  online?: boolean;
  reading?: {
    file?: string;
    values?: Values;
    problem?: string;
    baseline?: Partial<Record<Field, { value: string | null; how: string; at: number; kid?: string }>>;
    changed?: Partial<Record<Field, unknown>>;
  };
}

export interface ApproveOutput {
  style: Style;
  write(text: string): void;
  /** Asks a yes/no question; resolves false on anything but yes, and on the end of input. */
  confirm(question: string): Promise<boolean>;
}

export async function approveMerchant(session: TechSession, terminalId: string, yes: boolean, out: ApproveOutput): Promise<number> {
  const status = await session.request('status', {});
  if (!status.ok) {
    out.write(`pos-agent tech: ${terminalId} refused status: ${status.code}: ${status.message}\n`);
    return EXIT.FATAL;
  }
  const merchant = (status.parts[0] as { devices?: Record<string, MerchantStatus> }).devices?.merchant;
  if (!merchant) {
    out.write(`pos-agent tech: ${terminalId} has no merchant device configured\n`);
    return EXIT.FATAL;
  }
  const reading = merchant.reading;
  if (!reading?.values) {
    out.write(`pos-agent tech: ${terminalId} cannot read its merchant parameters file now${reading?.problem ? ` (${reading.problem})` : ''}: nothing to approve\n`);
    return EXIT.FATAL;
  }
  const values = reading.values;
  out.write(describe(terminalId, reading, out.style));
  if (!yes && !(await out.confirm(`Approve these values as the merchant identity of ${terminalId}? [y/N] `))) {
    out.write('not approved: nothing was sent\n');
    return EXIT.FATAL;
  }
  // mid and tid are always there: a file without them is one the terminal cannot read.
  const answer = await session.request('merchant-approve', { ...values, mid: values.mid!, tid: values.tid! });
  if (!answer.ok) {
    out.write(`pos-agent tech: ${terminalId} refused the approval: ${answer.code}: ${answer.message}\n`);
    return EXIT.FATAL;
  }
  out.write(`${terminalId}: approved; these values are the merchant baseline now\n`);
  return EXIT.OK;
}

function describe(terminalId: string, reading: NonNullable<MerchantStatus['reading']>, s: Style): string {
  const shown = (value: string | null | undefined) => (value === null || value === undefined ? '(none)' : value);
  const lines = [`${s.bold(terminalId)} merchant parameters ${reading.file ?? ''}`, `  ${'field'.padEnd(5)}  ${'now in the file'.padEnd(34)} baseline`];
  for (const field of FIELDS) {
    const entry = reading.baseline?.[field];
    const now = shown(reading.values![field]);
    const changed = reading.changed?.[field] !== undefined;
    const how = entry ? ` (${entry.how}${entry.kid ? ` by ${entry.kid}` : ''}, ${new Date(entry.at).toISOString()})` : '';
    lines.push(`  ${field.padEnd(5)}  ${(changed ? s.bad(now) : now).padEnd(34)} ${shown(entry?.value)}${how}${changed ? s.bad('  changed') : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A question on the terminal the client runs in; a script can answer it on standard input, or pass --yes. */
export function confirmOnStdin(question: string): Promise<boolean> {
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: false });
    let answered = false;
    process.stdout.write(question);
    rl.once('line', (line) => {
      answered = true;
      rl.close();
      resolve(/^\s*y(es)?\s*$/i.test(line));
    });
    rl.once('close', () => {
      if (!answered) resolve(false);
    });
  });
}
