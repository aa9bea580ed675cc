import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/**
 * What the fleet costs the process running it: resident memory, CPU time (as a percentage of one
 * core: the event loop is one thread, so 100 % is its ceiling) and event-loop delay, each over a
 * window that the caller starts and reads.
 */

export interface ProcessFigures {
  rssMiB: number;
  heapUsedMiB: number;
  /** User and system CPU time over the window, as a percentage of one core's wall time. */
  cpuPercent: number;
  /** How late the loop ran a timer during the window, beyond its sampling interval (perf_hooks monitorEventLoopDelay), in ms. */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  seconds: number;
}

const MiB = 1024 * 1024;
/** The histogram's sampling interval, which every sample it records includes. */
const RESOLUTION_MS = 10;

export class ProcessMeter {
  private readonly delay: IntervalHistogram;
  private cpu = process.cpuUsage();
  private since = performance.now();
  private peakRss = 0;

  constructor() {
    this.delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.delay.enable();
  }

  /** Starts a new window. */
  reset(): void {
    this.cpu = process.cpuUsage();
    this.since = performance.now();
    this.delay.reset();
  }

  /** The figures since the window started; `reset` starts the next one. */
  read(): ProcessFigures {
    const seconds = (performance.now() - this.since) / 1000;
    const cpu = process.cpuUsage(this.cpu);
    const memory = process.memoryUsage();
    this.peakRss = Math.max(this.peakRss, memory.rss);
    const ms = (nanoseconds: number) => round(Math.max(0, nanoseconds / 1e6 - RESOLUTION_MS));
    return {
      rssMiB: round(memory.rss / MiB),
      heapUsedMiB: round(memory.heapUsed / MiB),
      cpuPercent: seconds > 0 ? round(((cpu.user + cpu.system) / 1e6 / seconds) * 100) : 0,
      eventLoopDelayMs: this.delay.count > 0 ? { p50: ms(this.delay.percentile(50)), p99: ms(this.delay.percentile(99)), max: ms(this.delay.max) } : { p50: 0, p99: 0, max: 0 },
      seconds: round(seconds),
    };
  }

  /** The largest RSS any `read` saw. */
  get peakRssMiB(): number {
    return round(this.peakRss / MiB);
  }

  stop(): void {
    this.delay.disable();
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
