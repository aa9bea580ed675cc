import { randomUUID } from 'node:crypto';
import type { FileTree } from './file-tree.js';
import { checkFields } from './device-state.js';

/** `/proc/meminfo`, `/proc/loadavg`, `/proc/uptime`, `/proc/stat` and the boot id of a simulated terminal. */
export interface SystemState {
  memTotalMb: number;
  memAvailableMb: number;
  load: [number, number, number];
  uptimeSeconds: number;
}

export const HEALTHY_SYSTEM: SystemState = {
  memTotalMb: 1024,
  memAvailableMb: 512,
  load: [0.12, 0.08, 0.05],
  uptimeSeconds: 86_400,
};

export class SimSystem {
  private state: SystemState = { ...HEALTHY_SYSTEM, load: [...HEALTHY_SYSTEM.load] };
  private readonly startedAt = Date.now();
  private rebooting: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly tree: FileTree) {
    this.tree.write('sys/kernel/random/boot_id', `${randomUUID()}\n`);
    this.write();
  }

  get current(): Readonly<SystemState> {
    return this.state;
  }

  /**
   * The terminal reboots `count` times, one every `everyMs`: a new boot id each time. (A real
   * reboot restarts the agent too; here the agent sees each new id at its next system poll, so
   * `everyMs` must be longer than that poll's interval.) A count of 0 stops pending reboots.
   */
  reboot(count: number, everyMs = 1_500): void {
    clearInterval(this.rebooting);
    let left = count;
    if (left <= 0) return;
    this.rebooting = setInterval(() => {
      this.tree.write('sys/kernel/random/boot_id', `${randomUUID()}\n`);
      if (--left <= 0) clearInterval(this.rebooting);
    }, everyMs);
  }

  close(): void {
    clearInterval(this.rebooting);
  }

  /** The boot's epoch seconds (`btime` in `/proc/stat`), from the uptime the state says. */
  bootTime(): number {
    return Math.floor(this.startedAt / 1000 - this.state.uptimeSeconds);
  }

  set(change: Partial<SystemState>): void {
    checkFields('system', change, this.state);
    this.state = { ...this.state, ...change };
    this.write();
  }

  private write(): void {
    const s = this.state;
    const kb = (mb: number) => String(Math.round(mb * 1024)).padStart(8);
    this.tree.write(
      'meminfo',
      [
        `MemTotal:       ${kb(s.memTotalMb)} kB`,
        `MemFree:        ${kb(Math.max(0, s.memAvailableMb - 64))} kB`,
        `MemAvailable:   ${kb(s.memAvailableMb)} kB`,
        `Buffers:        ${kb(16)} kB`,
        `Cached:         ${kb(128)} kB`,
        '',
      ].join('\n'),
    );
    this.tree.write('loadavg', `${s.load.map((value) => value.toFixed(2)).join(' ')} 1/123 4567\n`);
    const uptime = s.uptimeSeconds + (Date.now() - this.startedAt) / 1000;
    this.tree.write('stat', `cpu  4705 150 1120 16250 520 0 11 0 0 0\nbtime ${this.bootTime()}\nprocesses 3412\n`);
    this.tree.write('uptime', `${uptime.toFixed(2)} ${(uptime * 1.8).toFixed(2)}\n`);
  }
}
