import { errorMessage } from '../../basics/errors.js';
import { InputProblems } from '../problems.js';
import type { Driver, DriverEnv } from '../types.js';
import { BATTERY_FILES, parseBattery, parseMainsOnline, type SupplyFiles } from './codec.js';
import type { BatteryReading } from '../../protocol/readings.js';

export interface BatteryConfig {
  supply?: string;
  mains?: string;
  pollSeconds: number;
}

const CLASS = 'class/power_supply';

/**
 * Reads the battery and the mains supply from the power_supply class. Supplies that the config
 * does not name are found by their `type`, and found again if they disappear (a hot-swapped pack
 * can come back under another name).
 */
export function createBatteryDriver(config: BatteryConfig, env: Pick<DriverEnv, 'sysfs' | 'log'>): Driver<BatteryReading> {
  const { sysfs } = env;
  const problems = new InputProblems(env.log);
  let found: { battery?: string; mains?: string } = {};

  async function readFile(folder: string, file: string): Promise<string | undefined> {
    const relative = `${CLASS}/${folder}/${file}`;
    try {
      return await sysfs.read(relative);
    } catch (error) {
      problems.report(sysfs.where(relative), `cannot be read: ${errorMessage(error)}`);
      return undefined;
    }
  }

  async function discover(): Promise<void> {
    found = {};
    const names = (await sysfs.list(CLASS)) ?? [];
    const types = await Promise.all(names.map((name) => readFile(name, 'type')));
    names.forEach((name, i) => {
      if (types[i] === 'Battery') found.battery ??= name;
      if (types[i] === 'Mains') found.mains ??= name;
    });
    names.forEach((name, i) => {
      if (types[i] === 'USB') found.mains ??= name;
    });
  }

  async function exists(folder: string | undefined): Promise<boolean> {
    return folder !== undefined && (await sysfs.list(`${CLASS}/${folder}`)) !== undefined;
  }

  async function read(): Promise<BatteryReading> {
    if ((!config.supply && !(await exists(found.battery))) || (!config.mains && !(await exists(found.mains)))) {
      await discover();
    }
    const supply = config.supply ?? found.battery;
    const mains = config.mains ?? found.mains;

    let reading: BatteryReading = { present: false };
    if (supply !== undefined && (await exists(supply))) {
      const texts = await Promise.all(BATTERY_FILES.map((file) => readFile(supply, file)));
      const files: SupplyFiles = Object.fromEntries(BATTERY_FILES.map((file, i) => [file, texts[i]]));
      const parsed = parseBattery(files);
      for (const file of BATTERY_FILES) {
        problems.report(sysfs.where(`${CLASS}/${supply}/${file}`), parsed.problems[file]);
      }
      reading = { supply, ...parsed.reading };
    }

    if (mains !== undefined) {
      const relative = `${CLASS}/${mains}/online`;
      const online = parseMainsOnline(await readFile(mains, 'online'));
      problems.report(sysfs.where(relative), online.problem);
      reading.mains = mains;
      if (online.value !== undefined) reading.mainsOnline = online.value;
    }
    return reading;
  }

  return { read };
}

