import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { FleetReport } from '../sim/fleet-report.js';
import { Mosquitto } from '../sim/mosquitto.js';
import { findTool } from '../sim/tools.js';
import type { BenchContext, Figure } from './index.js';
import { CLI } from './rig.js';

/**
 * Fleet mode (`pos-agent sim --terminals N`) against mosquitto on loopback, at growing sizes: how
 * many terminals one process carries on this machine, what a back end receives from them, and how
 * long a fault takes from its injection to its `R/fault` at the fleet's own subscriber.
 */

/** Terminals per run; each size runs on a fresh broker. */
const SIZES = { full: [1_000, 2_000, 4_000], quick: [200] };
const MEASURED_SECONDS = { full: 60, quick: 20 };
/** Enough injections for a p99 over the measured window (each fault lasts 10 s). */
const FAULTS_PER_MINUTE = 300;

export async function fleetSection(context: BenchContext): Promise<Figure[]> {
  const binary = findTool('mosquitto');
  if (!binary) return [{ name: 'fleet', unit: 'terminals', skipped: 'mosquitto is not installed (apt-get install mosquitto)' }];
  const sizes = context.quick ? SIZES.quick : SIZES.full;
  const seconds = context.quick ? MEASURED_SECONDS.quick : MEASURED_SECONDS.full;
  const figures: Figure[] = [];
  for (const terminals of sizes) {
    context.progress(`${terminals.toLocaleString('en-US')} terminals for ${seconds} s after start-up`);
    const report = await runFleet(binary, terminals, seconds, path.join(context.dir, `fleet-${terminals}`));
    figures.push(...fleetFigures(report));
  }
  return figures;
}

async function runFleet(binary: string, terminals: number, seconds: number, dir: string): Promise<FleetReport> {
  const broker = await Mosquitto.start(binary);
  const reportFile = `${dir}.json`;
  try {
    const args = [CLI, 'sim', '--terminals', String(terminals), '--broker', broker.url, '--duration', String(seconds)];
    args.push('--faults-per-minute', String(FAULTS_PER_MINUTE), '--dir', dir, '--json', reportFile);
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // Start-up, the window, the clears and the stop; a fleet stuck past this is a failure.
    const limitMs = (seconds + 60 + terminals / 20) * 1000;
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    clearTimeout(timer);
    if (code !== 0) throw new Error(`the fleet of ${terminals} exited with ${code}: ${stderr.trim().slice(-500)}`);
    return JSON.parse(fs.readFileSync(reportFile, 'utf8')) as FleetReport;
  } finally {
    await broker.kill('SIGKILL');
  }
}

function fleetFigures(report: FleetReport): Figure[] {
  const n = report.terminals.toLocaleString('en-US');
  const messages = Object.values(report.messages).reduce((sum, topic) => sum + topic.perSecond, 0);
  const { raise } = report.faults;
  const lost = report.faults.awaitingRaise + report.faults.awaitingClear;
  return [
    { name: `${n}: connected at the end`, value: report.measured.connectedAtEnd, unit: 'terminals', note: `start-up ${report.startup.seconds} s in batches of ${report.batch}` },
    { name: `${n}: messages at the subscriber`, value: Math.round(messages * 10) / 10, unit: 'msg/s', note: `heartbeat ${report.messages.heartbeat.perSecond}/s at ${report.heartbeatSeconds} s, fault ${report.messages.fault.perSecond}/s` },
    { name: `${n}: fault raise p50`, value: raise.p50, unit: 'ms', note: `injection to R/fault, ${raise.count} faults, printer with status back` },
    { name: `${n}: fault raise p99`, value: raise.p99, unit: 'ms', note: `${lost} raises or clears never arrived` },
    { name: `${n}: process RSS`, value: Math.round(report.process.peakRssMiB), unit: 'MiB', note: `${Math.round((report.process.peakRssMiB / report.terminals) * 1024)} KiB a terminal, peak` },
    { name: `${n}: process CPU`, value: Math.round(report.process.cpuPercent), unit: '% core', note: `one process, one event loop; loop delay p99 ${report.process.eventLoopDelayMs.p99} ms` },
  ];
}
