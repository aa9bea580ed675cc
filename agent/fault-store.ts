import path from 'node:path';
import type { Logger } from 'pino';
import { isDeviceName } from '../protocol/devices.js';
import { FAULTS, isFaultCode } from '../protocol/faults.js';
import type { ActiveFault, ActiveFaultStore } from './fault-engine.js';
import { errorMessage } from '../basics/errors.js';
import { readJsonFile, writeFileAtomic } from './files.js';

/** The active faults in `stateDir/faults-active.json`, replaced atomically on every change. */
export function fileFaultStore(stateDir: string, log: Logger): ActiveFaultStore {
  const file = path.join(stateDir, 'faults-active.json');
  return {
    load() {
      let stored: unknown;
      try {
        stored = readJsonFile(file);
      } catch (error) {
        log.error({ err: error, file }, 'active faults file is unreadable; starting with none');
        return [];
      }
      if (stored === undefined) return [];
      if (!Array.isArray(stored)) {
        log.error({ file }, 'active faults file is not a list; starting with none');
        return [];
      }
      return stored.filter((entry): entry is ActiveFault => {
        const valid = isActiveFault(entry);
        if (!valid) log.error({ file, entry }, 'dropping an unreadable active fault entry');
        return valid;
      });
    },
    save(faults) {
      try {
        writeFileAtomic(file, JSON.stringify(faults));
      } catch (error) {
        // The message still goes out (a full disk must not silence a fault); only a restart
        // before the next successful save can repeat this raise or clear.
        log.error({ file, err: errorMessage(error) }, 'active faults could not be saved');
      }
    },
  };
}

export function memoryFaultStore(initial: ActiveFault[] = []): ActiveFaultStore & { saved: ActiveFault[] } {
  const store = {
    saved: initial,
    load: () => [...store.saved],
    save: (faults: ActiveFault[]) => {
      store.saved = structuredClone(faults);
    },
  };
  return store;
}

function isActiveFault(entry: unknown): entry is ActiveFault {
  if (typeof entry !== 'object' || entry === null) return false;
  const fault = entry as Record<string, unknown>;
  return (
    typeof fault.id === 'string' &&
    isFaultCode(fault.code) &&
    isDeviceName(fault.device) &&
    FAULTS[fault.code].device === fault.device &&
    typeof fault.raisedAt === 'number' &&
    typeof fault.raiseSeq === 'number' &&
    typeof fault.message === 'string' &&
    (fault.severity === 'critical' || fault.severity === 'warning') &&
    typeof fault.detail === 'object' &&
    fault.detail !== null
  );
}
