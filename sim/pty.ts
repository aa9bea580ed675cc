import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Two linked pseudo-terminals from socat: the agent opens one end like a real serial port, a
 * simulated device the other. Killing socat is an unplug: both ttys vanish. `plug()` brings
 * them back under the same names.
 */
export class PtyPair {
  private child: ChildProcess | undefined;
  log = '';

  private constructor(
    private readonly socat: string,
    readonly agentPath: string,
    readonly devicePath: string,
  ) {}

  static async start(socat: string, dir: string, name = 'tty'): Promise<PtyPair> {
    const pair = new PtyPair(socat, path.join(dir, `${name}-agent`), path.join(dir, `${name}-device`));
    await pair.plug();
    return pair;
  }

  get plugged(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async plug(): Promise<void> {
    if (this.plugged) return;
    this.child = spawn(this.socat, ['-d', '-d', `pty,raw,echo=0,link=${this.agentPath}`, `pty,raw,echo=0,link=${this.devicePath}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child.stderr!.on('data', (chunk) => (this.log += chunk));
    const deadline = Date.now() + 5_000;
    while (!(fs.existsSync(this.agentPath) && fs.existsSync(this.devicePath) && /starting data transfer loop/.test(this.log))) {
      if (Date.now() > deadline) throw new Error(`socat did not create ${this.agentPath}: ${this.log}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** The device is unplugged: socat exits and removes both links. */
  async unplug(): Promise<void> {
    const child = this.child;
    if (!child || !this.plugged) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(child.pid!, 'SIGTERM');
    await exited;
  }

  async stop(): Promise<void> {
    await this.unplug();
  }
}
