import fs from 'node:fs';
import path from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import pino from 'pino';
import { systemClock } from '../basics/clock.js';
import { createAppDriver } from '../drivers/app/driver.js';
import { sysfsAt } from '../drivers/sysfs.js';
import type { BenchContext, Figure } from './index.js';
import { median } from './rig.js';

const PROCESSES = 1_000;

/**
 * The cost of one `app` poll: a fixture proc tree of 1,000 processes (the payment application
 * among them) and this machine's own /proc. Wall time and CPU per poll, and the bytes the poll
 * allocates on the JavaScript heap (measured between two forced collections, with no collection
 * in between; a poll during which one ran is measured again).
 */
export async function appPollSection(context: BenchContext): Promise<Figure[]> {
  const root = path.join(context.dir, 'proc');
  writeProcTree(root, PROCESSES);
  const runs = context.quick ? 30 : 200;
  const fixture = await measure(root, runs);
  const own = await measure('/proc', runs);
  const ownCount = fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name)).length;
  return [
    { name: `poll, ${PROCESSES} processes (fixture tree)`, value: round2(fixture.wallMs), unit: 'ms', note: `median of ${runs}; reads ${PROCESSES} stat files` },
    { name: `CPU per poll, ${PROCESSES} processes`, value: round2(fixture.cpuMs), unit: 'ms', note: 'user + system, median' },
    { name: `heap allocated per poll, ${PROCESSES} processes`, value: Math.round(fixture.heapKiB), unit: 'KiB', note: 'median, between forced GCs' },
    { name: `CPU per hour at pollSeconds 10, ${PROCESSES} processes`, value: round2((fixture.cpuMs * 360) / 1000), unit: 's/h', note: 'share of a core: ' + round3((fixture.cpuMs / 10_000) * 100) + ' %' },
    { name: `poll, this machine's /proc (${ownCount} processes)`, value: round2(own.wallMs), unit: 'ms', note: `CPU ${round2(own.cpuMs)} ms, heap ${Math.round(own.heapKiB)} KiB` },
  ];
}

async function measure(procRoot: string, runs: number): Promise<{ wallMs: number; cpuMs: number; heapKiB: number }> {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const collections: number[] = [];
  const observer = new PerformanceObserver((list) => collections.push(...list.getEntries().map((entry) => entry.startTime)));
  observer.observe({ entryTypes: ['gc'] });
  const driver = createAppDriver(
    { processes: [{ name: 'payment', comm: 'payapp', minCount: 1 }], pollSeconds: 10 },
    { procfs: sysfsAt(procRoot), log: pino({ level: 'silent' }), clock: systemClock },
  );
  const signal = new AbortController().signal;
  await driver.read(signal);
  const wall: number[] = [];
  const cpu: number[] = [];
  const heap: number[] = [];
  for (let i = 0; i < runs; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    const before = v8.getHeapStatistics().used_heap_size;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await driver.read(signal);
    wall.push(performance.now() - t0);
    const used = process.cpuUsage(cpu0);
    cpu.push((used.user + used.system) / 1000);
    const after = v8.getHeapStatistics().used_heap_size;
    await new Promise((resolve) => setImmediate(resolve));
    if (!collections.some((at) => at >= t0)) heap.push((after - before) / 1024);
  }
  observer.disconnect();
  return { wallMs: median(wall), cpuMs: median(cpu), heapKiB: median(heap) };
}

/** A proc tree as `pos-agent sim` writes it: `stat` and `status` of each process, `btime`. */
export function writeProcTree(root: string, count: number): void {
  fs.mkdirSync(root, { recursive: true });
  fs.writeFileSync(path.join(root, 'stat'), 'cpu  4705 150 1120 16250 520 0 11 0 0 0\nbtime 1795000000\n');
  for (let i = 0; i < count; i++) {
    const pid = 100 + i;
    const comm = i === count / 2 ? 'payapp' : `worker-${i % 37}`;
    fs.mkdirSync(path.join(root, String(pid)));
    fs.writeFileSync(path.join(root, `${pid}/stat`), `${pid} (${comm}) S 1 ${pid} ${pid} 0 -1 4194560 812 0 3 0 120 40 0 0 20 0 3 0 ${5000 + i} 210329600 9821 18446744073709551615\n`);
    fs.writeFileSync(path.join(root, `${pid}/status`), `Name:\t${comm}\nVmRSS:\t   39284 kB\n`);
  }
}

const round2 = (value: number) => Math.round(value * 100) / 100;
const round3 = (value: number) => Math.round(value * 1000) / 1000;
