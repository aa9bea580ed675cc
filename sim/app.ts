import fs from 'node:fs';
import type { FileTree } from './file-tree.js';
import { checkFields } from './device-state.js';

/**
 * The payment application's processes in a simulated `/proc`: a few system processes that stay,
 * and `payapp`, which can be stopped, started again, or left crashing and restarting by itself.
 * Each process folder appears whole (written aside, then renamed), as the kernel's do.
 */
export interface AppState {
  running: boolean;
  /** Dies and is restarted (a new pid) every `restartEveryMs`, as a supervisor would. */
  crashLoop: boolean;
  restartEveryMs: number;
  pid?: number;
}

export const PAYAPP_COMM = 'payapp';

const BACKGROUND: [pid: number, comm: string][] = [
  [1, 'systemd'],
  [2, 'kthreadd'],
  [211, 'systemd-journal'],
  [402, 'ModemManager'],
];

export class SimApp {
  private state: AppState = { running: true, crashLoop: false, restartEveryMs: 1_500 };
  private nextPid = 812;
  private restarting: ReturnType<typeof setInterval> | undefined;

  /** `bootTime` is the boot's epoch seconds (`btime`): start times are ticks after it. */
  constructor(
    private readonly tree: FileTree,
    private readonly bootTime: () => number,
  ) {
    for (const [pid, comm] of BACKGROUND) this.writeProcess(pid, comm, 0);
    this.start();
  }

  get current(): Readonly<AppState> {
    return this.state;
  }

  set(change: Partial<Omit<AppState, 'pid'>>): void {
    checkFields('app', change, this.state);
    const next = { ...this.state, ...change };
    if (next.running && !this.state.running) this.start();
    if (!next.running && this.state.running) this.stop();
    this.state = { ...next, pid: this.state.pid };
    clearInterval(this.restarting);
    this.restarting = undefined;
    if (this.state.crashLoop && this.state.running) {
      // The new process is in place before the old one goes, as a supervisor's restart looks to a
      // poll that lists /proc in between: never a moment with none.
      this.restarting = setInterval(() => {
        const old = this.state.pid;
        this.start();
        if (old !== undefined) this.tree.remove(String(old));
      }, this.state.restartEveryMs);
    }
  }

  close(): void {
    clearInterval(this.restarting);
  }

  private start(): void {
    const pid = this.nextPid++;
    const ticks = Math.max(0, Math.round((Date.now() / 1000 - this.bootTime()) * 100));
    this.writeProcess(pid, PAYAPP_COMM, ticks);
    this.state = { ...this.state, pid };
  }

  private stop(): void {
    if (this.state.pid !== undefined) this.tree.remove(String(this.state.pid));
    this.state = { ...this.state, pid: undefined };
  }

  private writeProcess(pid: number, comm: string, startTicks: number): void {
    const aside = this.tree.path(`.${pid}.new`);
    fs.rmSync(aside, { recursive: true, force: true });
    fs.mkdirSync(aside, { recursive: true });
    fs.writeFileSync(`${aside}/comm`, `${comm}\n`);
    fs.writeFileSync(`${aside}/stat`, `${pid} (${comm}) S 1 ${pid} ${pid} 0 -1 4194560 812 0 3 0 ${120 + pid} ${40 + pid} 0 0 20 0 3 0 ${startTicks} 210329600 9821 18446744073709551615\n`);
    fs.writeFileSync(`${aside}/status`, `Name:\t${comm}\nState:\tS (sleeping)\nPid:\t${pid}\nVmRSS:\t   ${39_284 + pid} kB\nThreads:\t3\n`);
    fs.renameSync(aside, this.tree.path(String(pid)));
  }
}
