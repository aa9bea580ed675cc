import type { Logger } from 'pino';
import { systemClock, type Clock, type Timer } from '../basics/clock.js';
import type { AgentStatus } from './status.js';
import { systemdNotify, type Notifier } from './sd-notify.js';

/**
 * The agent as a systemd service (SPEC.md section 9): READY=1 once it runs, a STATUS= line a
 * person reads in `systemctl status` on every change, WATCHDOG=1 while the poll loop keeps time,
 * RELOADING=1/READY=1 around a reload and STOPPING=1 when a stop begins.
 */

/** What the service reports on: the agent's status (a function, so a test can give its own). */
export type StatusSource = () => Pick<AgentStatus, 'availability' | 'reasons' | 'connection' | 'devices'>;

export interface ServiceOptions {
  notifier: Notifier;
  status: StatusSource;
  log: Logger;
  clock?: Clock;
  /** WATCHDOG_USEC: the manager restarts the agent when no ping came for this long. */
  watchdogUsec?: number;
}

export class ServiceNotifications {
  private readonly clock: Clock;
  private readonly pingMs: number | undefined;
  private running = false;
  private lastStatus: string | undefined;
  private pingTimer: Timer | undefined;
  private withholding = false;

  constructor(private readonly options: ServiceOptions) {
    this.clock = options.clock ?? systemClock;
    this.pingMs = options.watchdogUsec ? Math.max(1, Math.floor(options.watchdogUsec / 2_000)) : undefined;
  }

  /** The agent runs: config loaded, outbox open, devices scheduled. The broker may be far away. */
  ready(): void {
    this.running = true;
    this.lastStatus = this.statusLine();
    this.options.notifier.send(['READY=1', `STATUS=${this.lastStatus}`]);
    this.schedulePing();
  }

  /** Availability, its reasons or the broker connection may have changed. */
  changed(): void {
    if (!this.running) return;
    const line = this.statusLine();
    if (line === this.lastStatus) return;
    this.lastStatus = line;
    this.options.notifier.send([`STATUS=${line}`]);
  }

  reloading(): void {
    this.options.notifier.send(['RELOADING=1', 'STATUS=reloading the config']);
  }

  reloaded(): void {
    this.lastStatus = this.statusLine();
    this.options.notifier.send(['READY=1', `STATUS=${this.lastStatus}`]);
  }

  stopping(): void {
    this.running = false;
    this.clock.clearTimeout(this.pingTimer);
    this.options.notifier.send(['STOPPING=1', 'STATUS=stopping']);
  }

  flush(): Promise<void> {
    return this.options.notifier.flush();
  }

  /** One line: the availability, its reasons, and whether the broker is connected. */
  statusLine(): string {
    const { availability, reasons, connection } = this.options.status();
    const verdict = reasons.length > 0 ? `${availability} (${reasons.join(', ')})` : availability;
    return `${verdict}; broker ${connection.up ? 'connected' : 'not connected'}`;
  }

  /** Whether every device's poll came on time: a stuck loop must stop the pings. */
  pollLoopOnTime(): boolean {
    const lateAfter = this.clock.now() - (this.pingMs ?? 0);
    return Object.values(this.options.status().devices).every((device) => device?.polls?.dueAt === undefined || device.polls.dueAt >= lateAfter);
  }

  private schedulePing(): void {
    if (this.pingMs === undefined || !this.running) return;
    this.pingTimer = this.clock.setTimeout(() => {
      this.ping();
      this.schedulePing();
    }, this.pingMs);
  }

  private ping(): void {
    if (this.pollLoopOnTime()) {
      if (this.withholding) this.options.log.info('the poll loop keeps time again; watchdog pings resume');
      this.withholding = false;
      this.options.notifier.send(['WATCHDOG=1']);
    } else if (!this.withholding) {
      this.withholding = true;
      this.options.log.error('the poll loop is late; watchdog pings withheld so that the service manager restarts the agent');
    }
  }
}

/** The service integration when the agent runs under a service manager (NOTIFY_SOCKET), else none. */
export function serviceFromEnvironment(env: NodeJS.ProcessEnv, status: StatusSource, log: Logger): ServiceNotifications | undefined {
  if (!env.NOTIFY_SOCKET) return undefined;
  // sd_watchdog_enabled(3): the watchdog is this process's only when WATCHDOG_PID names it.
  const forUs = env.WATCHDOG_PID === undefined || Number(env.WATCHDOG_PID) === process.pid;
  const watchdogUsec = forUs && env.WATCHDOG_USEC ? Number(env.WATCHDOG_USEC) : undefined;
  return new ServiceNotifications({
    notifier: systemdNotify({ socket: env.NOTIFY_SOCKET, log }),
    status,
    log,
    watchdogUsec: watchdogUsec && Number.isFinite(watchdogUsec) && watchdogUsec > 0 ? watchdogUsec : undefined,
  });
}
