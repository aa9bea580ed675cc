import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pkg from '../package.json' with { type: 'json' };
import { startBroker, type EmbeddedBroker } from '../sim/broker.js';
import { SimTerminal } from '../sim/terminal.js';
import { removeTempDirs, tempDir } from '../sim/temp-dirs.js';
import { findTool } from '../sim/tools.js';
import { NotifySocket } from '../sim/service-manager.js';
import { Recorder } from './helpers/recorder.js';
import { denyWriteExecute } from './helpers/write-execute.js';

/**
 * The Debian package from the outside: built with the build script, inspected, installed on this
 * machine with dpkg, its unit verified, the installed daemon run the way its unit runs it (its
 * user, its ExecStart, NOTIFY_SOCKET, WATCHDOG_USEC and JOURNAL_STREAM set as systemd sets them)
 * against the simulator and a broker, then upgraded, removed and purged. It installs system-wide,
 * so it needs root and dpkg; without them it is skipped, and under POS_AGENT_REQUIRE_TOOLS=1 it
 * fails. It ends with a purge, the user removed, and /etc/pos-agent gone.
 */

const ROOT = path.resolve(import.meta.dirname, '..');
const TOOLS = ['dpkg', 'dpkg-deb', 'file', 'systemd-analyze', 'setpriv', 'python3', 'socat', 'useradd'];

function machineAllows(): boolean {
  const missing = TOOLS.filter((tool) => !findTool(tool));
  const problems = [...missing.map((tool) => `${tool} is not installed`), ...(process.getuid?.() === 0 ? [] : ['not root'])];
  if (problems.length === 0) return true;
  const message = `the Debian package test installs system-wide and cannot run here: ${problems.join(', ')}`;
  if (process.env.POS_AGENT_REQUIRE_TOOLS === '1') throw new Error(`${message}; POS_AGENT_REQUIRE_TOOLS=1 makes it mandatory`);
  process.stderr.write(`\n[pos-agent tests] SKIPPED: ${message}\n`);
  return false;
}

const allowed = machineAllows();
const CONFIG = '/etc/pos-agent/agent.json';
const STATE = '/var/lib/pos-agent';
const LOGS = '/var/log/pos-agent';
const UNIT = '/lib/systemd/system/pos-agent.service';
const WANTS = '/etc/systemd/system/multi-user.target.wants/pos-agent.service';

/**
 * One run of this file at a time on a machine: it installs into /etc, /usr and /var. The lock is
 * a folder holding the owner's pid, taken over when that process is gone.
 */
const LOCK = '/tmp/pos-agent-package-test.lock';

async function lockMachine(): Promise<void> {
  for (;;) {
    try {
      fs.mkdirSync(LOCK);
      fs.writeFileSync(path.join(LOCK, 'pid'), String(process.pid));
      return;
    } catch {
      const owner = Number(fs.readFileSync(path.join(LOCK, 'pid'), { encoding: 'utf8', flag: 'a+' }));
      if (owner > 0 && !isAlive(owner)) fs.rmSync(LOCK, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const run = (command: string, args: string[]) => execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const dpkg = (...args: string[]) => run('dpkg', args);

/** Daemons this file started: none may outlive it, even when an assertion fails halfway. */
const started = new Set<ChildProcess>();

function purgeAll(): void {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  spawnSync('dpkg', ['--purge', 'pos-agent'], { stdio: 'ignore' });
  fs.rmSync('/etc/pos-agent', { recursive: true, force: true });
  spawnSync('userdel', ['pos-agent'], { stdio: 'ignore' });
  spawnSync('groupdel', ['pos-agent'], { stdio: 'ignore' });
}

/** The unit's ExecStart= and User=, read from the installed unit. */
function unitCommand(): { argv: string[]; user: string } {
  const unit = fs.readFileSync(UNIT, 'utf8');
  const value = (key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(unit)![1]!.trim();
  return { argv: value('ExecStart').split(/\s+/), user: value('User') };
}

/**
 * One run of the installed daemon as its unit would start it: its user, its ExecStart, stderr
 * going to a file as to journald, and under MemoryDenyWriteExecute's filter, as the unit says.
 */
class ServiceRun {
  readonly child: ChildProcess;
  readonly stderrFile: string;
  readonly exited: Promise<number | null>;

  constructor(dir: string, notify: NotifySocket | undefined, extraEnv: NodeJS.ProcessEnv = {}) {
    const { argv, user } = unitCommand();
    this.stderrFile = path.join(dir, `stderr-${Date.now()}.log`);
    const fd = fs.openSync(this.stderrFile, 'w');
    const stat = fs.fstatSync(fd);
    const env: NodeJS.ProcessEnv = {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      LANG: 'C.UTF-8',
      JOURNAL_STREAM: `${stat.dev}:${stat.ino}`,
      ...(notify ? { NOTIFY_SOCKET: notify.path, WATCHDOG_USEC: '2000000' } : {}),
      ...extraEnv,
    };
    const [command, ...args] = [...denyWriteExecute(findTool('python3')!)!, 'setpriv', `--reuid=${user}`, `--regid=${user}`, '--init-groups', '--', ...argv];
    this.child = spawn(command!, args, { env, stdio: ['ignore', 'ignore', fd] });
    started.add(this.child);
    fs.closeSync(fd);
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  stderr(): string {
    return fs.readFileSync(this.stderrFile, 'utf8');
  }

  async stop(): Promise<number | null> {
    this.child.kill('SIGTERM');
    return this.exited;
  }
}

const PRIORITY: Record<number, string> = { 10: '<7>', 20: '<7>', 30: '<6>', 40: '<4>', 50: '<3>', 60: '<3>' };

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe.runIf(allowed)('the Debian package', () => {
  let out: string;
  let deb: string;
  let dir: string;
  let terminal: SimTerminal | undefined;
  let broker: EmbeddedBroker | undefined;
  let notify: NotifySocket | undefined;
  let recorder: Recorder | undefined;
  const terminalId = `PKG-${Math.random().toString(36).slice(2, 8)}`;

  beforeAll(async () => {
    await lockMachine();
    purgeAll();
    out = tempDir('pos-agent-deb-');
    dir = tempDir('pos-agent-service-');
    // The installed agent runs as pos-agent: it must reach the simulator's trees and its socket.
    fs.chmodSync(dir, 0o755);
    deb = run('sh', [path.join(ROOT, 'build/package.sh'), out]).trim();
  }, 300_000);

  afterAll(async () => {
    notify?.close();
    await recorder?.close();
    await terminal?.close();
    await broker?.close();
    purgeAll();
    removeTempDirs();
    fs.rmSync(LOCK, { recursive: true, force: true });
  }, 30_000);

  it('is one file under 15 MiB named by the version, for every architecture, needing Node 20', () => {
    expect(path.basename(deb)).toBe(`pos-agent_${pkg.version}_all.deb`);
    expect(fs.statSync(deb).size).toBeLessThan(15 * 1024 * 1024);
    const fields = run('dpkg-deb', ['-f', deb]);
    expect(fields).toMatch(/^Package: pos-agent$/m);
    expect(fields).toMatch(new RegExp(`^Version: ${pkg.version.replaceAll('.', '\\.')}$`, 'm'));
    expect(fields).toMatch(/^Architecture: all$/m);
    expect(fields).toMatch(/^Depends: .*nodejs \(>= 20\)/m);
  });

  it('holds the agent, its launcher, the unit, the example config and serialport for x86-64, arm64 and armhf', () => {
    const files = run('dpkg-deb', ['-c', deb])
      .split('\n')
      .map((line) => line.split(/\s+/).slice(5).join(' ').replace(/^\./, ''))
      .filter(Boolean);
    for (const wanted of ['/usr/lib/pos-agent/dist/cli.js', '/usr/lib/pos-agent/bin/pos-agent', '/usr/lib/pos-agent/package.json', UNIT, '/etc/pos-agent/agent.json.example']) {
      expect(files).toContain(wanted);
    }
    expect(files).toContain('/usr/bin/pos-agent -> ../lib/pos-agent/bin/pos-agent');
    // Only what runs: no benchmark, no source maps, no development packages, no demo broker.
    expect(files.filter((file) => /bench\.js$|\.map$|\/aedes\/|\/vitest\/|\/typescript\//.test(file))).toEqual([]);

    const tree = path.join(out, 'tree');
    run('dpkg-deb', ['-x', deb, tree]);
    const prebuilds = path.join(tree, 'usr/lib/pos-agent/node_modules/@serialport/bindings-cpp/prebuilds');
    const kinds = (platform: string) =>
      fs.readdirSync(path.join(prebuilds, platform)).map((name) => run('file', ['-b', path.join(prebuilds, platform, name)]));
    expect(kinds('linux-x64').some((text) => /ELF 64-bit LSB shared object, x86-64/.test(text))).toBe(true);
    expect(kinds('linux-arm64').some((text) => /ELF 64-bit LSB shared object, ARM aarch64/.test(text))).toBe(true);
    expect(kinds('linux-arm').some((text) => /ELF 32-bit LSB shared object, ARM, EABI5/.test(text))).toBe(true);
    expect(fs.readdirSync(prebuilds).sort()).toEqual(['linux-arm', 'linux-arm64', 'linux-x64']);
  });

  it('installs with dpkg: the pos-agent user in dialout, its folders, a unit systemd-analyze accepts, --version', () => {
    dpkg('-i', deb);
    expect(run('id', ['-nG', 'pos-agent']).split(/\s+/)).toContain('dialout');
    // Enabled without systemd running (as in an image build): it starts once agent.json exists.
    expect(fs.existsSync(WANTS)).toBe(fs.existsSync('/usr/bin/deb-systemd-helper'));
    for (const folder of [STATE, LOGS]) {
      const stat = fs.statSync(folder);
      expect(stat.uid).toBe(Number(run('id', ['-u', 'pos-agent'])));
    }
    const verify = spawnSync('systemd-analyze', ['verify', UNIT], { encoding: 'utf8' });
    expect(verify.status).toBe(0);
    expect(`${verify.stdout}${verify.stderr}`.split('\n').filter((line) => line.includes('pos-agent'))).toEqual([]);
    expect(run('/usr/bin/pos-agent', ['--version']).trim()).toBe(pkg.version);
    expect(fs.readFileSync('/usr/lib/pos-agent/bin/pos-agent', 'utf8')).toContain('--no-expose-wasm');
  });

  it('holds MemoryDenyWriteExecute only because the launcher runs the daemon without a JIT', () => {
    expect(fs.readFileSync(UNIT, 'utf8')).toMatch(/^MemoryDenyWriteExecute=yes$/m);
    const filter = denyWriteExecute(findTool('python3')!);
    expect(filter, `no write-execute filter for ${process.arch}`).toBeDefined();
    // Node with its JIT dies under the filter: the filter bites, and the daemon's runs below hold.
    const jit = spawnSync(filter![0]!, [...filter!.slice(1), 'node', '-e', 'console.log(1)'], { encoding: 'utf8' });
    expect(jit.status).not.toBe(0);
    expect(jit.stdout).toBe('');
    expect(jit.stderr).toMatch(/Fatal error/);
    // Only `run` goes without the JIT: the commands a person runs by hand keep Node's defaults.
    const version = spawnSync(filter![0]!, [...filter!.slice(1), '/usr/bin/pos-agent', '--version'], { encoding: 'utf8' });
    expect(version.stderr).toMatch(/Fatal error/);
  });

  it('refuses a missing or invalid /etc/pos-agent/agent.json with exit 2 and an error in the journal', async () => {
    const missing = new ServiceRun(dir, undefined);
    expect(await missing.exited).toBe(2);
    expect(missing.stderr()).toMatch(/^<3>\/etc\/pos-agent\/agent\.json: invalid config$/m);
    expect(missing.stderr()).toMatch(/^<3>\$: cannot read \/etc\/pos-agent\/agent\.json/m);

    fs.writeFileSync(CONFIG, JSON.stringify({ terminalId: 'bad id!', mqtt: { url: 'mqtt://127.0.0.1:1' }, devices: { pinter: {} } }));
    const invalid = new ServiceRun(dir, undefined);
    expect(await invalid.exited).toBe(2);
    const lines = invalid.stderr().trim().split('\n');
    expect(lines.every((line) => line.startsWith('<3>'))).toBe(true);
    expect(lines.join('\n')).toMatch(/terminalId/);
    expect(lines.join('\n')).toMatch(/devices\.pinter/);
  });

  it('runs as its unit runs it: READY=1 before the broker, STATUS= on each change, the watchdog, reload, stop, journald priorities', async () => {
    const socat = findTool('socat')!;
    terminal = new SimTerminal(path.join(dir, 'terminal'));
    fs.mkdirSync(terminal.dir, { recursive: true });
    await terminal.attachDevices({ kind: 'pty', socat });
    const port = await freePort();
    const url = `mqtt://127.0.0.1:${port}`;
    const config: Record<string, any> = terminal.agentConfig({ brokerUrl: url, terminalId, heartbeatSeconds: 2, batteryPollSeconds: 0.2, systemPollSeconds: 0.5, serialPollSeconds: 1, logLevel: 'debug' });
    Object.assign(config, { stateDir: STATE, logDir: LOGS });
    for (const tty of [config.devices.printer.path, config.devices.cardReader.path, config.devices.network.modem.path]) {
      // The ptys socat makes are root's; a terminal's serial ports belong to dialout.
      const device = fs.realpathSync(tty);
      fs.chownSync(device, 0, Number(run('getent', ['group', 'dialout']).split(':')[2]));
      fs.chmodSync(device, 0o660);
    }
    fs.writeFileSync(CONFIG, JSON.stringify(config, null, 2), { mode: 0o640 });
    fs.chownSync(CONFIG, 0, Number(run('id', ['-g', 'pos-agent'])));

    notify = await NotifySocket.bind(dir, findTool('python3')!);
    const agent = new ServiceRun(dir, notify);

    // Ready while the broker is still out of reach.
    await notify.waitFor(() => notify!.with('READY').length > 0, 'READY=1');
    const ready = notify.with('READY')[0]!;
    expect(ready.fields.STATUS).toMatch(/broker not connected$/);

    broker = await startBroker(port);
    recorder = await Recorder.connect(url, `pos/v1/${terminalId}/#`);
    await notify.waitFor(() => notify!.with('STATUS').some((m) => /; broker connected$/.test(m.fields.STATUS!)), 'STATUS= broker connected');
    await recorder.waitForJson('state', 'the birth', (json) => json.online === true);
    // The serial devices answer through the binding the package installed.
    await recorder.waitForJson('heartbeat', 'a heartbeat with the printer and the card reader online', (json) => json.printer?.online && json.cardReader?.online);

    await terminal.apply({ battery: { temperatureC: 60 } });
    await notify.waitFor(() => notify!.with('STATUS').some((m) => /BATTERY_OVERHEAT/.test(m.fields.STATUS!)), 'STATUS= with BATTERY_OVERHEAT');
    await terminal.apply({ battery: { temperatureC: 35 } });
    await notify.waitFor(() => /^IN_SERVICE; broker connected$/.test(notify!.with('STATUS').at(-1)!.fields.STATUS!), 'STATUS= back in service');
    // One line per change: never the same line twice in a row.
    const lines = notify.with('STATUS').map((m) => m.fields.STATUS);
    expect(lines.filter((line, i) => i > 0 && line === lines[i - 1])).toEqual([]);

    // WATCHDOG_USEC of 2 s: a ping every second while the loop keeps time.
    const pingsBefore = notify.with('WATCHDOG').length;
    await notify.waitFor(() => notify!.with('WATCHDOG').length >= pingsBefore + 3, 'three more WATCHDOG=1');
    expect(notify.with('WATCHDOG').every((m) => JSON.stringify(m.fields) === '{"WATCHDOG":"1"}')).toBe(true);

    agent.child.kill('SIGHUP');
    await notify.waitFor(() => notify!.with('RELOADING').length === 1 && notify!.with('READY').length === 2, 'RELOADING=1 then READY=1');
    const reloading = notify.messages.findIndex((m) => 'RELOADING' in m.fields);
    expect(notify.messages.findIndex((m, i) => i > reloading && 'READY' in m.fields)).toBeGreaterThan(reloading);

    expect(await agent.stop()).toBe(0);
    // Sent before the exit; the listener may print it a moment after the test saw the exit.
    await notify.waitFor(() => notify!.with('STOPPING').length === 1, 'STOPPING=1', 5_000);

    // Every stderr line carries the syslog priority of its pino level.
    const records = agent.stderr().trim().split('\n');
    expect(records.length).toBeGreaterThan(10);
    for (const line of records) {
      const match = /^(<\d>)(\{.*\})$/.exec(line);
      expect(match, line).not.toBeNull();
      expect(match![1]).toBe(PRIORITY[JSON.parse(match![2]!).level]);
    }
    expect(records.some((line) => line.startsWith('<4>'))).toBe(true);
    expect(records.some((line) => line.startsWith('<7>'))).toBe(true);
    expect(agent.stderr()).not.toContain('Warning: disabling flag');
  }, 60_000);

  it('stops the watchdog pings while the event loop is wedged, and pings again after', async () => {
    // A preload that blocks the main thread for 6 s on SIGUSR2, as a hung synchronous call would.
    const wedge = path.join(dir, 'wedge.cjs');
    const marks = path.join(dir, 'wedge-marks');
    fs.writeFileSync(
      wedge,
      `process.on('SIGUSR2', () => {
         const fs = require('node:fs');
         fs.appendFileSync(${JSON.stringify(marks)}, 'start ' + Date.now() + '\\n');
         Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 6000);
         fs.appendFileSync(${JSON.stringify(marks)}, 'end ' + Date.now() + '\\n');
       });`,
    );
    fs.writeFileSync(marks, '', { mode: 0o666 });
    fs.chmodSync(marks, 0o666);
    notify!.messages.length = 0;
    const agent = new ServiceRun(dir, notify, { NODE_OPTIONS: `--require ${wedge}` });
    await notify!.waitFor(() => notify!.with('WATCHDOG').length >= 2, 'the first pings');
    agent.child.kill('SIGUSR2');
    await notify!.waitFor(() => fs.readFileSync(marks, 'utf8').includes('end'), 'the end of the wedge', 30_000);
    const [start, end] = fs
      .readFileSync(marks, 'utf8')
      .trim()
      .split('\n')
      .map((line) => Number(line.split(' ')[1]));
    // A systemd-notify started just before the wedge may still arrive; none started within it.
    const during = notify!.with('WATCHDOG').filter((m) => m.at > start! + 2_000 && m.at < end!);
    expect(during).toEqual([]);
    const pingsAtEnd = notify!.with('WATCHDOG').length;
    await notify!.waitFor(() => notify!.with('WATCHDOG').some((m) => m.at > end!) && notify!.with('WATCHDOG').length > pingsAtEnd, 'pings after the wedge');
    expect(await agent.stop()).toBe(0);
  }, 60_000);

  it('keeps state on an upgrade (seq and session go on), keeps state and logs on remove, removes them on purge', async () => {
    const births = recorder!.of('state').filter((json) => json.online === true);
    const lastSession = Math.max(...births.map((json) => json.session));
    const lastSeq = Math.max(...recorder!.of('heartbeat').map((json) => json.seq));

    dpkg('-i', deb);
    expect(fs.existsSync(path.join(STATE, 'outbox'))).toBe(true);
    const agent = new ServiceRun(dir, notify);
    const birth = await recorder!.waitForJson('state', 'a birth after the upgrade', (json) => json.online === true && json.session > lastSession);
    expect(birth.session).toBe(lastSession + 1);
    const heartbeat = await recorder!.waitForJson('heartbeat', 'a heartbeat after the upgrade', (json) => json.seq > lastSeq);
    expect(heartbeat.seq).toBeGreaterThan(lastSeq);
    expect(await agent.stop()).toBe(0);

    dpkg('--remove', 'pos-agent');
    expect(fs.existsSync('/usr/lib/pos-agent')).toBe(false);
    expect(fs.existsSync(UNIT)).toBe(false);
    expect(fs.existsSync(path.join(STATE, 'outbox'))).toBe(true);
    expect(fs.readdirSync(LOGS).some((name) => name.startsWith('agent.log'))).toBe(true);
    expect(fs.existsSync(CONFIG)).toBe(true);

    dpkg('--purge', 'pos-agent');
    expect(fs.existsSync(STATE)).toBe(false);
    expect(fs.existsSync(LOGS)).toBe(false);
    expect(fs.existsSync('/etc/pos-agent/agent.json.example')).toBe(false);
    expect(fs.lstatSync(WANTS, { throwIfNoEntry: false })).toBeUndefined();
    // The provisioned config and the system user are not the package's to delete.
    expect(fs.existsSync(CONFIG)).toBe(true);
    expect(run('id', ['-u', 'pos-agent']).trim()).toMatch(/^\d+$/);
  }, 60_000);
});
