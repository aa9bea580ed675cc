import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { appPollSection } from './app-poll.js';
import { merchantPollSection } from './merchant-poll.js';
import { fleetSection } from './fleet.js';
import { footprintSection } from './footprint.js';
import { latencySection } from './latency.js';
import { outboxSection } from './outbox.js';
import { serviceNotifySection } from './service-notify.js';
import { soakSection } from './soak.js';
import { startupSection } from './startup.js';
import { wireSection } from './wire.js';

/**
 * `npm run bench [-- SECTION…] [--dir FOLDER] [--quick]`: runs the named sections (all of them by
 * default), prints a table of figures for each and writes them all to
 * bench/results/latest.json. A section is a function that measures and returns figures; a
 * figure it cannot measure (a missing tool) is listed as skipped with the reason, and the run
 * then exits 1 so that a script notices.
 */

export interface Figure {
  name: string;
  value?: number;
  unit: string;
  note?: string;
  /** Why there is no value. */
  skipped?: string;
}

export interface BenchContext {
  /** A scratch folder on the filesystem under test; each section makes its own inside. */
  dir: string;
  /** `--quick`: shorter windows and fewer runs, for a look rather than the figures. */
  quick: boolean;
  progress(line: string): void;
}

export type Section = (context: BenchContext) => Promise<Figure[]>;

const SECTIONS: Record<string, { title: string; run: Section }> = {
  startup: { title: 'Start-up: process start to birth, against node -e 0', run: startupSection },
  wire: { title: 'Bytes on the wire: every IP packet to the TLS broker and the acquirer host, a healthy terminal at default settings', run: wireSection },
  footprint: { title: 'A healthy terminal at default intervals: memory, CPU, heartbeat and uplink bytes', run: footprintSection },
  soak: { title: 'Soak: every device at 1 Hz, 100,000 polls in all: memory growth and CPU', run: soakSection },
  latency: { title: 'Detection latency: device state change to R/fault at a subscriber', run: latencySection },
  outbox: { title: 'Outbox: appends and fsyncs, bytes written per message, drain after an outage', run: outboxSection },
  serviceNotify: { title: 'systemd notifications: CPU per message and of the watchdog at WatchdogSec=30', run: serviceNotifySection },
  appPoll: { title: 'The app device: one poll of /proc with 1,000 processes', run: appPollSection },
  merchantPoll: { title: 'The merchant device: one poll of the parameters file, good and bad', run: merchantPollSection },
  fleet: { title: 'Fleet mode: one process per core, each with N terminals and their agents, against one mosquitto', run: fleetSection },
};

/** statfs magic numbers of the filesystems a terminal or a build machine is likely to have. */
const FILESYSTEMS: Record<number, string> = {
  0x01021994: 'tmpfs (RAM: fsync and write_bytes mean little)',
  0xef53: 'ext4',
  0x58465342: 'xfs',
  0x9123683e: 'btrfs',
  0x794c7630: 'overlayfs',
  0x24051905: 'ubifs',
  0x73717368: 'squashfs',
  0xf2f52010: 'f2fs',
};

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ options: { dir: { type: 'string' }, quick: { type: 'boolean' } }, allowPositionals: true });
  const names = positionals.length > 0 ? positionals : Object.keys(SECTIONS);
  const unknown = names.filter((name) => !SECTIONS[name]);
  if (unknown.length > 0) {
    process.stderr.write(`unknown section ${unknown.join(', ')}; sections: ${Object.keys(SECTIONS).join(', ')}\n`);
    return 2;
  }
  const root = path.resolve(values.dir ?? path.join('.tmp', 'bench'));
  fs.mkdirSync(root, { recursive: true });
  const filesystem = FILESYSTEMS[fs.statfsSync(root).type] ?? `statfs type 0x${fs.statfsSync(root).type.toString(16)}`;
  const environment = { node: process.version, platform: `${os.platform()} ${os.release()}`, cpu: os.cpus()[0]?.model ?? 'unknown', cpus: os.cpus().length, dir: root, filesystem };
  process.stdout.write(`pos-agent bench: node ${environment.node}, ${environment.cpus} × ${environment.cpu}\nscratch folder ${root} on ${filesystem}\n`);

  const results: Record<string, Figure[]> = {};
  let incomplete = false;
  for (const name of names) {
    const section = SECTIONS[name]!;
    process.stdout.write(`\n${name}: ${section.title}\n`);
    const dir = fs.mkdtempSync(path.join(root, `${name}-`));
    try {
      const figures = await section.run({ dir, quick: values.quick ?? false, progress: (line) => process.stdout.write(`  … ${line}\n`) });
      results[name] = figures;
      process.stdout.write(`${table(figures)}\n`);
      for (const figure of figures) {
        if (figure.skipped) {
          incomplete = true;
          process.stdout.write(`  SKIPPED ${figure.name}: ${figure.skipped}\n`);
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  const out = path.resolve('bench', 'results', 'latest.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify({ at: new Date().toISOString(), environment, sections: results }, null, 2)}\n`);
  process.stdout.write(`\nwritten to ${path.relative(process.cwd(), out)}\n`);
  return incomplete ? 1 : 0;
}

function table(figures: Figure[]): string {
  const rows = figures.map((figure) => [figure.name, figure.value === undefined ? 'skipped' : format(figure.value), figure.unit, figure.note ?? '']);
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map(([name, value, unit, note]) => `  ${name!.padEnd(widths[0]!)}  ${value!.padStart(widths[1]!)} ${unit!.padEnd(widths[2]!)}  ${note}`.trimEnd())
    .join('\n');
}

function format(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return value.toLocaleString('en-US', { maximumFractionDigits: value < 10 ? 3 : 1 });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
