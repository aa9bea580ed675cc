import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { errnoCode, errorMessage } from '../basics/errors.js';
import type { SysfsReader } from '../drivers/sysfs.js';
import { BOOT_ID_FILE, BOOTS_FILE, BOOTS_KEPT, bootsFileExists, parseBootId, readBoots } from '../drivers/system/boots.js';
import { fsyncDir, writeFileAtomic } from './files.js';
import type { Restart } from '../protocol/readings.js';

/**
 * How the agent came to start: from a marker that a clean stop leaves in `stateDir` (and a start
 * removes) and the kernel's boot id, compared with the boot the previous run saw.
 *
 *                       same boot   booted since
 *   stopped cleanly     clean       reboot
 *   did not             crash       power-loss
 */

const MARKER = 'clean-stop';

export interface StartKind {
  restart: Restart;
  /** This boot's id; absent when the kernel's file is missing or garbage. */
  bootId?: string;
}

export async function recognizeStart(stateDir: string, procfs: SysfsReader, now: number, log: Logger): Promise<StartKind> {
  const file = procfs.where(BOOT_ID_FILE);
  let text: string | undefined;
  try {
    text = await procfs.read(BOOT_ID_FILE);
  } catch (error) {
    text = `(${errorMessage(error)})`;
  }
  const parsed = parseBootId(text);
  if (parsed.problem) log.warn({ file, problem: parsed.problem }, `${file}: ${parsed.problem}; the boot is left out, and a reboot cannot be told from a restart`);
  const bootId = parsed.value;

  const markerFile = path.join(stateDir, MARKER);
  const marker = readMarker(markerFile);
  const boots = readBoots(stateDir);
  let restart: Restart;
  if (marker === undefined && !bootsFileExists(stateDir)) {
    restart = 'first';
  } else {
    const previousBoot = marker?.bootId ?? boots.at(-1)?.bootId;
    // Without both ids there is no telling a reboot: say what is known, the way the run ended.
    const booted = bootId !== undefined && previousBoot !== undefined && bootId !== previousBoot;
    restart = marker !== undefined ? (booted ? 'reboot' : 'clean') : booted ? 'power-loss' : 'crash';
  }

  try {
    if (bootId !== undefined && boots.at(-1)?.bootId !== bootId) {
      boots.push({ bootId, at: now, restart });
      writeFileAtomic(path.join(stateDir, BOOTS_FILE), `${JSON.stringify(boots.slice(-BOOTS_KEPT))}\n`);
    } else if (!bootsFileExists(stateDir)) {
      writeFileAtomic(path.join(stateDir, BOOTS_FILE), `${JSON.stringify(boots)}\n`);
    }
    // Gone before the run starts: a run that ends without a clean stop leaves no marker.
    if (marker !== undefined) {
      fs.rmSync(markerFile, { force: true });
      fsyncDir(stateDir);
    }
  } catch (error) {
    log.error({ dir: stateDir, err: errorMessage(error) }, 'the boot record could not be saved; the next start may misname how it came');
  }
  return { restart, bootId };
}

/** The last thing a clean stop does. */
export function markCleanStop(stateDir: string, bootId: string | undefined, now: number, log: Logger): void {
  try {
    writeFileAtomic(path.join(stateDir, MARKER), `${JSON.stringify({ bootId: bootId ?? null, at: now })}\n`);
  } catch (error) {
    log.error({ dir: stateDir, err: errorMessage(error) }, 'the clean-stop marker could not be written; the next start will say crash');
  }
}

function readMarker(file: string): { bootId?: string } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') return {};
    return undefined;
  }
  try {
    const json = JSON.parse(text) as { bootId?: unknown };
    return { bootId: typeof json.bootId === 'string' ? json.bootId : undefined };
  } catch {
    // A marker torn by a power cut during the stop still says that the stop was clean.
    return {};
  }
}
