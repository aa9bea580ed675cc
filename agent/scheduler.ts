import type { PollFigures } from '../protocol/status.js';
import type { Logger } from 'pino';
import type { Driver, Sample } from '../drivers/types.js';
import type { DeviceName } from '../protocol/devices.js';
import type { Clock, Timer } from '../basics/clock.js';
import { DeviceError, errorMessage } from '../basics/errors.js';

/**
 * Polls each device on its own interval. The loop survives every driver: a read that throws is a
 * failed sample (the device is offline), a read still running when its next poll is due is
 * abandoned and reported the same way, and is never started twice while the first still hangs.
 * Either way a device yields one sample per interval, so "2 polls" debounce means two intervals.
 */

interface Entry {
  device: DeviceName;
  driver: Driver<unknown>;
  intervalMs: number;
  timer?: Timer;
  nextAt: number;
  running?: Promise<void>;
  controller?: AbortController;
  /** Ends the running poll with a timeout sample, if it has not settled yet. */
  abandon?: () => void;
  failing?: string;
  polls: number;
  failures: number;
  lastDurationMs?: number;
}

export type { PollFigures } from '../protocol/status.js';

export interface SchedulerOptions {
  clock: Clock;
  log: Logger;
  onSample(device: DeviceName, sample: Sample<unknown>): void;
}

export class Scheduler {
  private readonly entries = new Map<DeviceName, Entry>();
  private started = false;

  constructor(private readonly options: SchedulerOptions) {}

  add(device: DeviceName, driver: Driver<unknown>, intervalMs: number): void {
    const entry: Entry = { device, driver, intervalMs, nextAt: 0, polls: 0, failures: 0 };
    this.entries.set(device, entry);
    driver.watch?.((reading) => {
      if (this.started) this.options.onSample(device, { ok: true, at: this.options.clock.now(), reading });
    });
  }

  has(device: DeviceName): boolean {
    return this.entries.has(device);
  }

  /** A new interval takes effect from the next poll (SIGHUP). */
  setInterval(device: DeviceName, intervalMs: number): void {
    const entry = this.entries.get(device);
    if (!entry || entry.intervalMs === intervalMs) return;
    entry.intervalMs = intervalMs;
    if (this.started && !entry.running) {
      this.options.clock.clearTimeout(entry.timer);
      entry.nextAt = this.options.clock.monotonic() + intervalMs;
      this.arm(entry);
    }
  }

  figures(): Partial<Record<DeviceName, PollFigures>> {
    const figures: Partial<Record<DeviceName, PollFigures>> = {};
    // Polls are timed on the monotonic clock; `dueAt` is shown on the wall clock of this moment.
    const toWall = this.options.clock.now() - this.options.clock.monotonic();
    for (const entry of this.entries.values()) {
      figures[entry.device] = {
        polls: entry.polls,
        failures: entry.failures,
        lastDurationMs: entry.lastDurationMs,
        failing: entry.failing,
        dueAt: this.started ? Math.round(entry.nextAt + toWall) : undefined,
      };
    }
    return figures;
  }

  /** Runs one poll of a device now, outside its schedule (the `diag` command, tests). */
  pollNow(device: DeviceName): Promise<void> {
    const entry = this.entries.get(device);
    if (!entry) return Promise.resolve();
    return entry.running ?? this.poll(entry);
  }

  async start(): Promise<void> {
    this.started = true;
    await Promise.all(
      [...this.entries.values()].map(async (entry) => {
        try {
          await entry.driver.open?.();
        } catch (error) {
          // The driver opens again by itself on its next read; the first poll reports it offline.
          this.options.log.warn({ device: entry.device, err: errorMessage(error) }, 'device could not be opened');
        }
      }),
    );
    const now = this.options.clock.monotonic();
    for (const entry of this.entries.values()) {
      entry.nextAt = now;
      this.arm(entry);
    }
  }

  async stop(): Promise<void> {
    this.started = false;
    const running: Promise<void>[] = [];
    for (const entry of this.entries.values()) {
      this.options.clock.clearTimeout(entry.timer);
      entry.controller?.abort();
      if (entry.running) running.push(entry.running);
    }
    let patience: Timer | undefined;
    await Promise.race([Promise.all(running), new Promise((resolve) => (patience = this.options.clock.setTimeout(() => resolve(undefined), 1_000)))]);
    this.options.clock.clearTimeout(patience);
    await Promise.all(
      [...this.entries.values()].map((entry) =>
        entry.driver.close?.().catch((error: unknown) => {
          this.options.log.warn({ device: entry.device, err: errorMessage(error) }, 'device did not close cleanly');
        }),
      ),
    );
  }

  private arm(entry: Entry): void {
    if (!this.started) return;
    const delay = Math.max(0, entry.nextAt - this.options.clock.monotonic());
    entry.timer = this.options.clock.setTimeout(() => this.tick(entry), delay);
  }

  private tick(entry: Entry): void {
    const { clock } = this.options;
    entry.nextAt += entry.intervalMs;
    // After a stall (a suspended process, a busy machine) skip the missed polls, do not burst.
    const now = clock.monotonic();
    if (entry.nextAt <= now) entry.nextAt = now + entry.intervalMs;
    if (entry.running) {
      // One sample per interval: the hung poll's own timeout first, then "still running".
      if (entry.abandon) entry.abandon();
      else this.report(entry, { ok: false, at: clock.now(), error: new DeviceError('TIMEOUT', 'the previous poll is still running') });
    } else {
      void this.poll(entry);
    }
    this.arm(entry);
  }

  private poll(entry: Entry): Promise<void> {
    const { clock } = this.options;
    const controller = new AbortController();
    const startedAt = clock.monotonic();
    let settled = false;
    const settle = (sample: Sample<unknown>) => {
      if (settled) return;
      settled = true;
      entry.abandon = undefined;
      entry.lastDurationMs = Math.round(clock.monotonic() - startedAt);
      if (this.started) this.report(entry, sample);
    };
    entry.abandon = () => {
      controller.abort();
      settle({ ok: false, at: clock.now(), error: new DeviceError('TIMEOUT', `poll did not finish within ${entry.intervalMs} ms`) });
    };
    entry.controller = controller;
    const running = (async () => {
      try {
        const reading = await entry.driver.read(controller.signal);
        settle({ ok: true, at: clock.now(), reading });
      } catch (error) {
        settle({ ok: false, at: clock.now(), error: error instanceof Error ? error : new Error(String(error)) });
      } finally {
        entry.running = undefined;
        entry.controller = undefined;
      }
    })();
    entry.running = running;
    return running;
  }

  private report(entry: Entry, sample: Sample<unknown>): void {
    entry.polls += 1;
    const { log } = this.options;
    if (!sample.ok) {
      entry.failures += 1;
      const reason = errorMessage(sample.error);
      if (entry.failing !== reason) log.warn({ device: entry.device, err: reason }, 'device read failed; it counts as offline');
      entry.failing = reason;
    } else if (entry.failing !== undefined) {
      log.info({ device: entry.device }, 'device reads again');
      entry.failing = undefined;
    }
    try {
      this.options.onSample(entry.device, sample);
    } catch (error) {
      log.error({ device: entry.device, err: error }, 'handling a sample failed');
    }
  }
}
