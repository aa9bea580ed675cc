import { maskedExcerpt } from '../../basics/cardholder-data.js';
import type { Parsed } from '../battery/codec.js';
import type { SystemReading } from '../../protocol/readings.js';

const round1 = (value: number) => Math.round(value * 10) / 10;

/** `/proc/meminfo`: `MemTotal:  8048000 kB` lines. MemAvailable is missing before Linux 3.14. */
export function parseMeminfo(text: string | undefined): Parsed<Pick<SystemReading, 'memTotalMb' | 'memAvailableMb' | 'memAvailablePercent'>> {
  if (text === undefined) return {};
  const kb = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(\w+):\s+(\d+)\s*kB$/.exec(line.trim());
    if (match) kb.set(match[1]!, Number(match[2]));
  }
  const total = kb.get('MemTotal');
  const available = kb.get('MemAvailable');
  if (total === undefined || total === 0) return { problem: 'no MemTotal line' };
  if (available === undefined) return { value: { memTotalMb: Math.floor(total / 1024) }, problem: 'no MemAvailable line' };
  if (available > total) return { problem: `MemAvailable ${available} kB exceeds MemTotal ${total} kB` };
  return {
    value: {
      memTotalMb: Math.floor(total / 1024),
      memAvailableMb: Math.floor(available / 1024),
      memAvailablePercent: round1((available / total) * 100),
    },
  };
}

/** `/proc/loadavg`: `0.52 0.58 0.59 1/389 12345`. */
export function parseLoadavg(text: string | undefined): Parsed<Pick<SystemReading, 'load1' | 'load5' | 'load15'>> {
  if (text === undefined) return {};
  const fields = text.split(/\s+/).slice(0, 3).map(Number);
  if (fields.length < 3 || fields.some((value) => !Number.isFinite(value) || value < 0)) {
    return { problem: `not a load average: ${JSON.stringify(maskedExcerpt(text, 40))}` };
  }
  const [load1, load5, load15] = fields as [number, number, number];
  return { value: { load1, load5, load15 } };
}

/** `/proc/uptime`: `350735.47 234388.90`. */
export function parseUptime(text: string | undefined): Parsed<number> {
  if (text === undefined) return {};
  const seconds = Number(text.split(/\s+/)[0]);
  if (!Number.isFinite(seconds) || seconds < 0) return { problem: `not an uptime: ${JSON.stringify(maskedExcerpt(text, 40))}` };
  return { value: Math.floor(seconds) };
}

export function diskFigures(stat: { bsize: number; blocks: number; bavail: number }): Pick<SystemReading, 'diskFreeMb' | 'diskTotalMb' | 'diskFreePercent'> {
  const mib = 1024 * 1024;
  const total = stat.blocks * stat.bsize;
  const free = stat.bavail * stat.bsize;
  return {
    diskFreeMb: Math.floor(free / mib),
    diskTotalMb: Math.floor(total / mib),
    diskFreePercent: total > 0 ? round1((free / total) * 100) : 0,
  };
}
