import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FleetReport } from '../sim/fleet-report.js';
import { Mosquitto } from '../sim/mosquitto.js';
import { findTool } from '../sim/tools.js';
import type { BenchContext, Figure } from './index.js';
import { CLI } from './rig.js';

/**
 * Fleet mode (`pos-agent sim --terminals N`) against one mosquitto on loopback: one fleet process
 * per core, each numbering its terminals from its own `--first-id`, at growing sizes: how many
 * terminals this machine carries with every fault delivered, what a back end receives from
 * them, and how long a fault takes from its injection to its `R/fault` at each fleet's own
 * subscriber.
 */

/**
 * Terminals per process; each size runs on a fresh broker. Each terminal holds a dozen files and
 * sockets open at once: at 2,000 a process passed a limit of 20,000 open files (EMFILE), and once
 * at 1,500.
 */
const SIZES = { full: [1_000, 1_500], quick: [100] };
const MEASURED_SECONDS = { full: 60, quick: 20 };
/** Across all the processes: enough injections for a p99 over the measured window (each fault lasts 10 s). */
const FAULTS_PER_MINUTE = 300;

export async function fleetSection(context: BenchContext): Promise<Figure[]> {
  const binary = findTool('mosquitto');
  if (!binary) return [{ name: 'fleet', unit: 'terminals', skipped: 'mosquitto is not installed (apt-get install mosquitto)' }];
  const processes = Math.max(1, os.cpus().length);
  const sizes = context.quick ? SIZES.quick : SIZES.full;
  const seconds = context.quick ? MEASURED_SECONDS.quick : MEASURED_SECONDS.full;
  const figures: Figure[] = [];
  let held = 0;
  for (const perProcess of sizes) {
    context.progress(`${processes} processes × ${perProcess.toLocaleString('en-US')} terminals for ${seconds} s after start-up`);
    let reports: FleetReport[];
    try {
      reports = await runFleets(binary, processes, perProcess, seconds, path.join(context.dir, `fleet-${perProcess}`));
    } catch (error) {
      // A size this machine cannot carry ends the growth; the sizes below it stand.
      const reason = error instanceof Error ? error.message.replace(/\s+/g, ' ').slice(0, 200) : String(error);
      figures.push({ name: `${(perProcess * processes).toLocaleString('en-US')} (${processes} × ${perProcess.toLocaleString('en-US')}): failed`, value: 0, unit: 'terminals', note: reason });
      break;
    }
    figures.push(...fleetFigures(reports));
    const all = reports.every((report) => report.measured.connectedAtEnd === report.terminals && report.faults.awaitingRaise + report.faults.awaitingClear === 0);
    if (all) held = Math.max(held, perProcess * processes);
  }
  figures.push({ name: 'terminals held, every fault delivered', value: held, unit: 'terminals', note: `the largest size above with every terminal connected and every raise and clear received, ${processes} processes` });
  return figures;
}

async function runFleets(binary: string, processes: number, perProcess: number, seconds: number, dir: string): Promise<FleetReport[]> {
  const broker = await Mosquitto.start(binary, { extra: ['max_connections -1'] });
  try {
    const runs = Array.from({ length: processes }, (_, index) => runFleet(broker.url, index * perProcess + 1, perProcess, seconds, `${dir}-${index + 1}`, processes));
    return await Promise.all(runs);
  } finally {
    await broker.kill('SIGKILL');
  }
}

async function runFleet(url: string, firstId: number, terminals: number, seconds: number, dir: string, processes: number): Promise<FleetReport> {
  const reportFile = `${dir}.json`;
  const args = [CLI, 'sim', '--terminals', String(terminals), '--first-id', String(firstId), '--broker', url, '--duration', String(seconds)];
  args.push('--faults-per-minute', String(FAULTS_PER_MINUTE / processes), '--dir', dir, '--json', reportFile);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // Start-up, the window, the clears and the stop; a fleet stuck past this is a failure.
  const limitMs = (seconds + 60 + (terminals * processes) / 20) * 1000;
  const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`the fleet from ${firstId} of ${terminals} exited with ${code}: ${stderr.trim().slice(-500)}`);
  return JSON.parse(fs.readFileSync(reportFile, 'utf8')) as FleetReport;
}

function fleetFigures(reports: FleetReport[]): Figure[] {
  const sum = (value: (report: FleetReport) => number) => reports.reduce((total, report) => total + value(report), 0);
  const worst = (value: (report: FleetReport) => number) => Math.max(...reports.map(value));
  const terminals = sum((report) => report.terminals);
  const n = `${terminals.toLocaleString('en-US')} (${reports.length} × ${reports[0]!.terminals.toLocaleString('en-US')})`;
  const messages = sum((report) => Object.values(report.messages).reduce((total, topic) => total + topic.perSecond, 0));
  const raised = sum((report) => report.faults.raise.count);
  const lost = sum((report) => report.faults.awaitingRaise + report.faults.awaitingClear);
  const rss = sum((report) => report.process.peakRssMiB);
  return [
    { name: `${n}: connected at the end`, value: sum((report) => report.measured.connectedAtEnd), unit: 'terminals', note: `start-up ${worst((report) => report.startup.seconds)} s (slowest process), batches of ${reports[0]!.batch}` },
    { name: `${n}: messages at the subscribers`, value: Math.round(messages * 10) / 10, unit: 'msg/s', note: `heartbeat every ${reports[0]!.heartbeatSeconds} s, ${FAULTS_PER_MINUTE} faults a minute in all; each process counts its own terminals` },
    { name: `${n}: fault raise p50, worst process`, value: worst((report) => report.faults.raise.p50 ?? Number.NaN), unit: 'ms', note: `injection to R/fault, ${raised} faults, printer with status back` },
    { name: `${n}: fault raise p99, worst process`, value: worst((report) => report.faults.raise.p99 ?? Number.NaN), unit: 'ms', note: `${lost} raises or clears never arrived` },
    { name: `${n}: RSS of the processes`, value: Math.round(rss), unit: 'MiB', note: `${Math.round((rss / terminals) * 1024)} KiB a terminal, peaks summed` },
    { name: `${n}: CPU of each process`, value: worst((report) => Math.round(report.process.cpuPercent)), unit: '% core', note: `the busiest; event-loop delay p99 ${worst((report) => report.process.eventLoopDelayMs.p99)} ms` },
  ];
}
