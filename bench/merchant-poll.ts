import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { systemClock } from '../basics/clock.js';
import { BaselineStore } from '../drivers/merchant/baseline.js';
import { createMerchantDriver, type MerchantConfig } from '../drivers/merchant/driver.js';
import { paramsFileAt } from '../drivers/merchant/params-file.js';
import type { BenchContext, Figure } from './index.js';
import { median } from './rig.js';

/**
 * The cost of one `merchant` poll: a parameters file as a payment application writes it (json and
 * properties), and the bad files the device must turn away cheaply: one of several megabytes
 * (refused from its size, not read) and 64 KiB of binary garbage (read, then refused).
 */
export async function merchantPollSection(context: BenchContext): Promise<Figure[]> {
  const dir = path.join(context.dir, 'merchant');
  fs.mkdirSync(path.join(dir, 'state'), { recursive: true });
  const json = `${JSON.stringify({ version: 3, acquirer: { host: '10.1.2.3', port: 8583 }, merchant: { mid: '102310058120007', tid: '00012345', mcc: '5812', name: 'Lao Wang Noodles' } }, null, 2)}\n`;
  const files = {
    json: { text: json, format: 'json' as const, fields: { mid: 'merchant.mid', tid: 'merchant.tid', mcc: 'merchant.mcc', name: 'merchant.name' } },
    properties: { text: 'acquirer.host=10.1.2.3\nmerchant.id=102310058120007\nterminal.id=00012345\nmerchant.name=Lao Wang Noodles\n', format: 'properties' as const, fields: { mid: 'merchant.id', tid: 'terminal.id', name: 'merchant.name' } },
    huge: { text: 'x'.repeat(6 * 1024 * 1024), format: 'json' as const, fields: { mid: 'merchant.mid', tid: 'merchant.tid' } },
    garbage: { text: Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => (i * 2_654_435_761) >>> 24)).toString('latin1'), format: 'properties' as const, fields: { mid: 'm', tid: 't' } },
  };
  const runs = context.quick ? 50 : 500;
  const figures: Figure[] = [];
  for (const [name, file] of Object.entries(files)) {
    const where = path.join(dir, `params-${name}`);
    fs.writeFileSync(where, file.text, name === 'garbage' ? 'latin1' : 'utf8');
    const config: MerchantConfig = { file: where, format: file.format, pollSeconds: 10, fields: file.fields };
    const state = path.join(dir, 'state', name);
    fs.mkdirSync(state, { recursive: true });
    const log = pino({ level: 'silent' });
    const driver = createMerchantDriver(config, { source: paramsFileAt(where), store: new BaselineStore(state, log), clock: systemClock, log });
    const { wallMs, cpuMs, problem } = await measure(driver, runs);
    figures.push({ name: `poll, ${name} (${kib(fs.statSync(where).size)})`, value: round3(wallMs), unit: 'ms', note: `CPU ${round3(cpuMs)} ms, median of ${runs}${problem ? `; ${problem}` : ''}` });
  }
  return figures;
}

async function measure(driver: ReturnType<typeof createMerchantDriver>, runs: number) {
  const signal = new AbortController().signal;
  const first = await driver.read(signal);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await driver.read(signal);
    wall.push(performance.now() - t0);
    const used = process.cpuUsage(cpu0);
    cpu.push((used.user + used.system) / 1000);
  }
  return { wallMs: median(wall), cpuMs: median(cpu), problem: first.problem };
}

const kib = (bytes: number) => (bytes < 1024 ? `${bytes} B` : `${Math.round(bytes / 1024)} KiB`);
const round3 = (value: number) => Math.round(value * 1000) / 1000;
