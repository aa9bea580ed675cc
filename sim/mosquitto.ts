import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { tempDir } from './temp-dirs.js';

/** A free loopback port: bound, read, released. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function waitForPort(port: number, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface MosquittoOptions {
  port?: number;
  /** Lines added to the listener's config (TLS, ACL, auth). */
  extra?: string[];
}

/** A mosquitto broker on loopback, started by path and stopped by its own pid. */
export class Mosquitto {
  private child: ChildProcess | undefined;
  log = '';

  private constructor(
    readonly binary: string,
    readonly port: number,
    readonly dir: string,
    private readonly options: MosquittoOptions,
  ) {}

  static async start(binary: string, options: MosquittoOptions = {}): Promise<Mosquitto> {
    const broker = new Mosquitto(binary, options.port ?? (await freePort()), tempDir('mosquitto-'), options);
    await broker.restart();
    return broker;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async restart(): Promise<void> {
    const config = path.join(this.dir, 'mosquitto.conf');
    fs.writeFileSync(
      config,
      [`listener ${this.port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', ...(this.options.extra ?? []), ''].join('\n'),
    );
    this.child = spawn(this.binary, ['-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stderr!.on('data', (chunk) => (this.log += chunk));
    this.child.stdout!.on('data', (chunk) => (this.log += chunk));
    await waitForPort(this.port);
  }

  /** Kills the broker (SIGKILL: a crash, not a clean shutdown). */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(child.pid!, signal);
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill('SIGTERM');
  }

  /** SIGHUP: mosquitto reads its password and ACL files again and keeps its connections. */
  reload(): void {
    if (this.child?.pid !== undefined && this.child.exitCode === null) process.kill(this.child.pid, 'SIGHUP');
  }
}
