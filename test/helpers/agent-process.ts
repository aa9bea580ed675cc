import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const CLI = path.resolve(import.meta.dirname, '../../dist/cli.js');

if (!fs.existsSync(CLI)) {
  throw new Error(`${CLI} is missing: the end-to-end tests run the built agent; run \`npm test\` (it builds first) or \`npm run build\``);
}

/** The built `pos-agent` as a child process, killed by its own pid when the test ends. */
export class AgentProcess {
  readonly child: ChildProcess;
  stderr = '';
  stdout = '';
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    RUNNING.add(this);
    this.child.stdout!.on('data', (chunk) => (this.stdout += chunk));
    this.child.stderr!.on('data', (chunk) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        RUNNING.delete(this);
        resolve({ code, signal });
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves with the exit, or rejects if the process is still running after `ms`. */
  waitExit(ms = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`pid ${this.pid} still running after ${ms} ms\n${this.stderr.slice(-2000)}`)), ms);
      void this.exited.then((result) => {
        clearTimeout(timer);
        resolve(result);
      });
    });
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) process.kill(this.pid, signal);
  }

  /** JSON log lines from stderr. */
  logLines(): any[] {
    return this.stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => {
        try {
          return JSON.parse(line);
        } catch {
          return undefined;
        }
      })
      .filter(Boolean);
  }
}

const RUNNING = new Set<AgentProcess>();

/** Kills every agent a test file started and did not stop. */
export function killAll(): void {
  for (const agent of RUNNING) agent.kill('SIGKILL');
}

/** Runs the CLI to completion (check-config and the like). */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}, ms = 15_000) {
  const agent = new AgentProcess(args, env);
  const result = await agent.waitExit(ms);
  return { ...result, stdout: agent.stdout, stderr: agent.stderr };
}
