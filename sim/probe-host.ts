import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { waitUntil } from '../basics/wait.js';
import { probeListenerProgram } from './probe-listener.js';

/**
 * The acquirer's host for the reachability probe, on 127.0.0.1 only. A TCP connect completes in
 * the kernel, not in the listening process, so the modes are made with the listener's accept
 * queue, without root:
 *
 * - `accept`: a listener that accepts and, as a TLS server waiting for a ClientHello would, keeps
 *   the connection until the client ends it (or 10 s pass);
 * - `refuse`: nothing listens on the port, the kernel answers RST (connection refused);
 * - `hang`: the listener's process is stopped (SIGSTOP) and its accept queue (backlog 1) holds the
 *   connections the simulator opened itself, so the kernel drops every new SYN: connects time out;
 * - `slow`: as `hang`, but once a connect has waited 1.5 s (its SYNs being dropped) the listener
 *   is let run again and the client's next SYN retransmission gets through. That lands 2 s after
 *   the first SYN on kernels with linear SYN timeouts (`tcp_syn_linear_timeouts`, Linux 6.6 and
 *   later), 3 s on older ones: always >= 1500 ms, but a probe needs a `timeoutMs` above that.
 *
 * The listener (probe-listener.ts) lives in a child process (this Node.js) so that it can be
 * stopped without stopping the simulator; it is ended by its own pid.
 */

export type ProbeHostMode = 'accept' | 'refuse' | 'hang' | 'slow';

/** How long a connect's SYNs are dropped in `slow` mode before one is let through. */
const SLOW_HOLD_MS = 1_500;
const WATCH_EVERY_MS = 50;
/** A connect to a loopback listener with room in its queue completes at once; this is plenty. */
const CONNECTS_WITHIN_MS = 300;

export class ProbeHost {
  readonly host = '127.0.0.1';
  private mode_: ProbeHostMode = 'accept';
  private listening = true;
  private stopped = false;
  private fillers: net.Socket[] = [];
  private watcher: ReturnType<typeof setInterval> | undefined;
  private output = '';
  private waiters: { pattern: RegExp; resolve: (line: string) => void; reject: (error: Error) => void }[] = [];
  private changing: Promise<void> = Promise.resolve();
  private accepted_ = 0;

  private constructor(
    private readonly child: ChildProcess,
    public port: number,
  ) {}

  static async start(port = 0): Promise<ProbeHost> {
    const child = spawn(process.execPath, ['-e', probeListenerProgram()], {
      env: { ...process.env, PROBE_PORT: String(port) },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const host = new ProbeHost(child, port);
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => host.onOutput(chunk));
    child.on('exit', () => host.failWaiters(new Error('the probe host listener exited')));
    const line = await host.expect(/^(listening \d+|error \w+)$/);
    if (line.startsWith('error')) {
      await host.close();
      throw new Error(`the probe host cannot listen on 127.0.0.1:${port}: ${line}`);
    }
    host.port = Number(line.split(' ')[1]);
    return host;
  }

  get mode(): ProbeHostMode {
    return this.mode_;
  }

  /**
   * Connections the listener has accepted: the agent's probes, and in `hang` and `slow` modes
   * the simulator's own queue fillers as well.
   */
  get accepted(): number {
    return this.accepted_;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Changes how connects to the port fare; resolves once the new mode is in force. */
  setMode(mode: ProbeHostMode): Promise<void> {
    this.changing = this.changing.catch(() => undefined).then(() => this.apply(mode));
    return this.changing;
  }

  async close(): Promise<void> {
    this.stopWatching();
    this.dropFillers();
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(child.pid!, 'SIGKILL');
    await exited;
  }

  private async apply(mode: ProbeHostMode): Promise<void> {
    this.stopWatching();
    await this.release();
    if (mode === 'refuse') {
      if (this.listening) {
        this.command('close');
        await this.expect(/^closed$/);
        this.listening = false;
      }
    } else if (!this.listening) {
      this.command('listen');
      const line = await this.expect(/^(listening \d+|error \w+)$/);
      if (line.startsWith('error')) throw new Error(`the probe host cannot listen again on port ${this.port}: ${line}`);
      this.listening = true;
    }
    if (mode === 'hang' || mode === 'slow') await this.block();
    if (mode === 'slow') this.watchSlow();
    this.mode_ = mode;
  }

  /** Stops the listener and fills its accept queue: from now on the kernel drops every SYN. */
  private async block(): Promise<void> {
    process.kill(this.pid, 'SIGSTOP');
    this.stopped = true;
    await waitUntil('the probe host listener to stop', () => processState(this.pid) === 'T', 2_000, 10);
    for (let attempt = 0; attempt < 8; attempt++) {
      const socket = net.connect({ host: this.host, port: this.port });
      socket.on('error', () => {});
      const connected = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), CONNECTS_WITHIN_MS);
        socket.once('connect', () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      if (!connected) {
        socket.destroy();
        return;
      }
      this.fillers.push(socket);
    }
    throw new Error('the probe host accept queue does not fill up');
  }

  /** Lets the listener run again: it accepts (and closes) what waited in its queue. */
  private async release(): Promise<void> {
    if (!this.stopped) return;
    process.kill(this.pid, 'SIGCONT');
    this.stopped = false;
    this.dropFillers();
  }

  /**
   * In `slow` mode: watches the kernel's socket table for connects to the port that are still
   * sending SYNs; one that has waited long enough gets the queue freed for its next SYN, and
   * once no connect waits any more, the queue is blocked again.
   */
  private watchSlow(): void {
    const waitingSince = new Map<string, number>();
    let busy = false;
    this.watcher = setInterval(() => {
      if (busy) return;
      const waiting = synSentTo(this.port);
      const now = Date.now();
      for (const key of waitingSince.keys()) if (!waiting.has(key)) waitingSince.delete(key);
      for (const key of waiting) if (!waitingSince.has(key)) waitingSince.set(key, now);
      const due = [...waitingSince.values()].some((since) => now - since >= SLOW_HOLD_MS);
      if (this.stopped && due) {
        void this.release();
      } else if (!this.stopped && waiting.size === 0) {
        busy = true;
        this.block()
          .catch(() => undefined)
          .finally(() => (busy = false));
      }
    }, WATCH_EVERY_MS);
    this.watcher.unref();
  }

  private stopWatching(): void {
    clearInterval(this.watcher);
    this.watcher = undefined;
  }

  private dropFillers(): void {
    for (const socket of this.fillers.splice(0)) socket.destroy();
  }

  private command(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  private onOutput(chunk: string): void {
    this.output += chunk;
    let end;
    while ((end = this.output.indexOf('\n')) >= 0) {
      const line = this.output.slice(0, end);
      this.output = this.output.slice(end + 1);
      if (line === 'accepted') this.accepted_ += 1;
      const index = this.waiters.findIndex((waiter) => waiter.pattern.test(line));
      if (index >= 0) this.waiters.splice(index, 1)[0]!.resolve(line);
    }
  }

  private expect(pattern: RegExp, ms = 5_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the probe host listener did not say ${pattern} within ${ms} ms`)), ms);
      this.waiters.push({
        pattern,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
        reject,
      });
    });
  }

  private failWaiters(error: Error): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }
}

/** The one-letter state of a process (`T` when stopped), from /proc. */
function processState(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** Local addresses of IPv4 sockets in SYN_SENT (state 02) towards 127.0.0.1:port. */
function synSentTo(port: number): Set<string> {
  const remote = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const waiting = new Set<string>();
  let table: string;
  try {
    table = fs.readFileSync('/proc/net/tcp', 'utf8');
  } catch {
    return waiting;
  }
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[2] === remote && fields[3] === '02') waiting.add(fields[1]!);
  }
  return waiting;
}
