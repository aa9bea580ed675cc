import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../sim/temp-dirs.js';
import { memoryLog } from '../test/helpers/log.js';
import { systemdNotify } from './sd-notify.js';

afterAll(removeTempDirs);

/** A stand-in for systemd-notify that appends its arguments to a file, slowly for the first one. */
function recordingProgram(dir: string): { program: string; lines(): string[] } {
  const out = path.join(dir, 'sent');
  const program = path.join(dir, 'notify');
  fs.writeFileSync(program, `#!/bin/sh\ncase "$1" in READY=1) sleep 0.3 ;; esac\necho "$NOTIFY_SOCKET $*" >> ${out}\n`, { mode: 0o755 });
  return { program, lines: () => fs.readFileSync(out, 'utf8').trim().split('\n') };
}

describe('systemd-notify as the sender', () => {
  it('hands the messages over one at a time, in the order they were sent, to NOTIFY_SOCKET', async () => {
    const dir = tempDir();
    const { program, lines } = recordingProgram(dir);
    const notifier = systemdNotify({ socket: '/run/test/notify', log: memoryLog().log, program });
    notifier.send(['READY=1', 'STATUS=IN_SERVICE; broker not connected']);
    notifier.send(['WATCHDOG=1']);
    notifier.send(['STOPPING=1']);
    await notifier.flush();
    expect(lines()).toEqual(['/run/test/notify READY=1 STATUS=IN_SERVICE; broker not connected', '/run/test/notify WATCHDOG=1', '/run/test/notify STOPPING=1']);
  });

  it('says once that the manager could not be told, not at every ping', async () => {
    const { log, records } = memoryLog();
    const notifier = systemdNotify({ socket: '/run/test/notify', log, program: path.join(tempDir(), 'missing') });
    for (let i = 0; i < 3; i++) notifier.send(['WATCHDOG=1']);
    await notifier.flush();
    expect(records.filter((record) => record.msg === 'the service manager could not be notified')).toHaveLength(1);
  });
});
