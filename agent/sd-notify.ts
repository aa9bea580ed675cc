import { execFile } from 'node:child_process';
import type { Logger } from 'pino';
import { errorMessage } from '../basics/errors.js';

/**
 * Sends sd_notify(3) messages to the service manager through the `systemd-notify` program.
 *
 * Node has no AF_UNIX datagram socket, and a native module would need a build for every processor
 * of the fleet. `systemd-notify` is part of systemd itself, so it is on every terminal that has a
 * NOTIFY_SOCKET at all. It runs as a child of the agent, so the unit says `NotifyAccess=all`; it
 * waits (BARRIER=1) until the manager has read the message, so the manager still finds the child
 * in the service's cgroup. A message costs one short-lived process: about 8 ms of CPU, every 15 s
 * for the watchdog (docs/install.md has the figures).
 *
 * Messages go out one at a time, in order: RELOADING=1 must reach the manager before its READY=1.
 */
export type Notify = (assignments: string[]) => void;

export interface NotifyOptions {
  socket: string;
  log: Logger;
  program?: string;
}

export interface Notifier {
  send: Notify;
  /** Resolves when every message queued so far has been handed over, or given up on. */
  flush(): Promise<void>;
}

/** How long one `systemd-notify` may take; its own barrier gives up after 5 s. */
const SEND_TIMEOUT_MS = 8_000;

export function systemdNotify(options: NotifyOptions): Notifier {
  const program = options.program ?? 'systemd-notify';
  let queue: Promise<void> = Promise.resolve();
  let failedOnce = false;
  const sendOne = (assignments: string[]) =>
    new Promise<void>((resolve) => {
      execFile(program, assignments, { env: { ...process.env, NOTIFY_SOCKET: options.socket }, timeout: SEND_TIMEOUT_MS }, (error, _stdout, stderr) => {
        if (error && !failedOnce) {
          // Once: a manager that does not listen must not fill the log every 15 s.
          failedOnce = true;
          options.log.warn({ err: errorMessage(error), stderr: stderr.trim(), message: assignments.join(' ') }, 'the service manager could not be notified');
        }
        resolve();
      });
    });
  return {
    send(assignments) {
      queue = queue.then(() => sendOne(assignments));
    },
    flush: () => queue,
  };
}
