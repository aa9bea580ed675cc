import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type mqtt from 'mqtt';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../basics/clock.js';
import type { MerchantDriver } from '../drivers/merchant/driver.js';
import { sysfsAt } from '../drivers/sysfs.js';
import type { DriverEnv, Sample } from '../drivers/types.js';
import type { DeviceName } from '../protocol/devices.js';
import { terminalTopics, type TerminalTopics } from '../protocol/topics.js';
import { verdict } from './availability.js';
import { ClockSteps } from './clock-steps.js';
import { attachCommands } from './commands/attach.js';
import type { CommandDispatcher } from './commands/dispatcher.js';
import { merchantApproval } from './commands/merchant-approval.js';
import type { OpContext } from './commands/ops.js';
import { TechnicianKeys } from './commands/technician-keys.js';
import { polledDevices, type AgentConfig } from './config.js';
import { Connection } from './connection.js';
import { Devices } from './devices.js';
import { FaultAnnouncer } from './fault-announcer.js';
import { FaultEngine } from './fault-engine.js';
import { FaultJournal } from './fault-journal.js';
import { fileFaultStore } from './fault-store.js';
import { acquireLock, ensureDir } from './files.js';
import { Heartbeat } from './heartbeat.js';
import { TemporaryLogLevel } from './log-level.js';
import { Maintenance } from './maintenance.js';
import { FileStore } from './outbox/file-store.js';
import { Outbox } from './outbox/outbox.js';
import type { OutboxStore } from './outbox/store.js';
import { markCleanStop, recognizeStart, type StartKind } from './restart.js';
import { Scheduler } from './scheduler.js';
import type { AgentStatus } from './status.js';
import { runSelfTests, type SelfTestResults } from './self-tests.js';
import { birthMessage, faultsSnapshot, heartbeatMessage } from './telemetry.js';
import { Uplink } from './uplink.js';
import { AGENT_VERSION } from './version.js';

/** SIGTERM to exit within 5 s: at most this long waiting for the outbox to drain. */
const DRAIN_ON_STOP_MS = 2_500;

export interface AgentDeps {
  log: Logger;
  clock?: Clock;
  /** The outbox's store; a file store in `stateDir/outbox` unless a test or the fleet gives one. */
  store?: OutboxStore;
  /** Replaces transports that drivers receive (fake serial ports, fixture trees). */
  driverEnv?: Partial<DriverEnv>;
  connect?: typeof mqtt.connect;
  random?: () => number;
  /** Set the log level, for `reload` (the logger may be shared with other parts). */
  setLogLevel?(level: string): void;
  /** The availability or the broker connection may have changed (the service's STATUS line). */
  onStatusChange?(): void;
}

/** What exists between start() and stop(). */
interface Running {
  startedAt: number;
  started: StartKind;
  releaseLock(): void;
  journal: FaultJournal;
  outbox: Outbox;
  connection: Connection;
  uplink: Uplink;
  engine: FaultEngine;
  maintenance: Maintenance;
  commands: CommandDispatcher;
  devices: Devices;
  scheduler: Scheduler;
  heartbeat: Heartbeat;
  clockSteps: ClockSteps;
}

/**
 * The daemon, composed: drivers read devices on the scheduler's beat, their samples feed the one
 * fault engine, and every message leaves through the one uplink (masked, journaled, queued in the
 * durable outbox). The agent holds no transport of its own.
 */
export class Agent {
  readonly boot = randomBytes(4).toString('hex');
  readonly topics: TerminalTopics;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly logLevel: TemporaryLogLevel;
  private running: Running | undefined;
  private stopping = false;

  constructor(
    private config: AgentConfig,
    private readonly deps: AgentDeps,
  ) {
    this.clock = deps.clock ?? systemClock;
    this.log = deps.log;
    this.topics = terminalTopics(config.mqtt.topicRoot, config.terminalId);
    this.logLevel = new TemporaryLogLevel(config.logLevel, (level) => deps.setLogLevel?.(level), this.clock, this.log);
  }

  async start(): Promise<void> {
    const { config, clock, log, deps, topics } = this;
    const startedAt = clock.now();
    ensureDir(config.stateDir);
    const releaseLock = acquireLock(config.stateDir);
    const started = await recognizeStart(config.stateDir, deps.driverEnv?.procfs ?? sysfsAt(config.procRoot), clock.now(), log);

    const journal = new FaultJournal(config.stateDir);
    const store = deps.store ?? new FileStore({ dir: path.join(config.stateDir, 'outbox'), maxBytes: config.outbox.maxBytes, log });
    const outbox = await Outbox.open({ store, maxBytes: config.outbox.maxBytes, log });
    const connection = new Connection({ config, topics, clock, log, random: deps.random, connect: deps.connect });
    const linkTraffic = () => connection.link.figures();
    const devices = new Devices({ config, clock, log, driverEnv: { linkTraffic, ...deps.driverEnv } });
    const birth = () =>
      birthMessage({ ts: clock.now(), session: connection.session, boot: this.boot, heartbeatSeconds: this.config.heartbeatSeconds, devices: devices.polled, restart: started.restart });
    const uplink = new Uplink({
      link: connection.link, outbox, topics, clock, log, journal, birth, random: deps.random,
      drainBytesPerSecond: config.mqtt.drainBytesPerSecond,
    });
    const publishSnapshot = () => {
      const faults = engine.list();
      uplink.setFaults(faultsSnapshot(clock.now(), faults, verdict(faults, maintenance.state.on), maintenance.state));
      deps.onStatusChange?.();
    };
    const announcer = new FaultAnnouncer(uplink, clock, log);
    const engine = new FaultEngine({
      store: fileFaultStore(config.stateDir, log),
      reserveSeq: () => uplink.reserve(),
      announce: (transition) => announcer.announce(transition),
      changed: publishSnapshot,
    });
    announcer.resendUnwritten(engine);

    const maintenance = new Maintenance(config.stateDir, clock, log);
    maintenance.on('change', publishSnapshot);
    await maintenance.start();

    const heartbeat = new Heartbeat({
      clock,
      log,
      uplink,
      seconds: config.heartbeatSeconds,
      build: (seq) => {
        const faults = engine.list();
        return heartbeatMessage(seq, clock.now(), verdict(faults, maintenance.state.on), devices.heartbeat(), { depth: outbox.depth, dropped: outbox.droppedCount });
      },
    });
    const onSample = (device: DeviceName, sample: Sample<unknown>) => {
      if (this.stopping) return;
      devices.record(device, sample);
      engine.observe(device, sample);
      if (devices.allRead) heartbeat.begin();
    };
    const scheduler = new Scheduler({ clock, log, onSample });
    const commands = attachCommands({
      config, link: connection.link, topics, replies: uplink, accepting: () => !this.stopping, clock, log,
      context: this.opContext(devices.polled, journal, maintenance, uplink),
    });
    connection.link.on('up', () => deps.onStatusChange?.());
    connection.link.on('down', () => deps.onStatusChange?.());
    const clockSteps = new ClockSteps(clock, log);
    clockSteps.start();
    this.running = { startedAt, started, releaseLock, journal, outbox, connection, uplink, engine, maintenance, commands, devices, scheduler, heartbeat, clockSteps };

    // Faults of devices this config no longer has are cleared before the first snapshot.
    engine.retireDevices(devices.polled, clock.now());
    devices.configure(config, engine, scheduler);
    publishSnapshot();

    connection.link.start();
    await scheduler.start();
    log.info({ terminalId: config.terminalId, devices: devices.polled, boot: this.boot, version: AGENT_VERSION }, 'agent started');
  }

  /** Stops polling, drains what it can, publishes the clean-offline state and releases the state folder. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.logLevel.stop();
    const running = this.running;
    if (!running) return;
    running.heartbeat.stop();
    running.clockSteps.stop();
    running.maintenance.stop();
    running.commands.stop();
    await running.scheduler.stop();
    await running.outbox.flush();
    if (running.connection.link.isUp) await running.uplink.drain(DRAIN_ON_STOP_MS);
    await running.uplink.close({ online: false, session: running.connection.session, reason: 'shutdown', ts: this.clock.now() }, 1_000);
    await running.outbox.close();
    running.journal.close();
    markCleanStop(this.config.stateDir, running.started.bootId, this.clock.now(), this.log);
    running.releaseLock();
    this.log.info({ terminalId: this.config.terminalId }, 'agent stopped');
  }

  /** Applies a new config without dropping the MQTT session: thresholds, intervals, log level, technician keys. */
  reload(next: AgentConfig): void {
    const running = this.live();
    const fixed = (config: AgentConfig) =>
      JSON.stringify([config.terminalId, config.mqtt, config.stateDir, config.logDir, config.sysfsRoot, config.procRoot, polledDevices(config)]);
    if (fixed(next) !== fixed(this.config)) {
      this.log.warn('broker, terminal id, folders or the set of devices changed: they take effect at the next restart');
    }
    this.config = { ...this.config, logLevel: next.logLevel, technicianKeys: next.technicianKeys, thresholds: next.thresholds, heartbeatSeconds: next.heartbeatSeconds, devices: next.devices };
    this.logLevel.configure(next.logLevel);
    running.commands.setKeys(new TechnicianKeys(next.technicianKeys));
    running.devices.configure(this.config, running.engine, running.scheduler);
    running.heartbeat.setSeconds(next.heartbeatSeconds);
    this.log.info({ logLevel: next.logLevel, heartbeatSeconds: next.heartbeatSeconds }, 'config reloaded');
  }

  status(): AgentStatus {
    const { startedAt, started, engine, maintenance, devices, scheduler, outbox, connection, clockSteps } = this.live();
    const faults = engine.list();
    const now = verdict(faults, maintenance.state.on);
    return {
      terminalId: this.config.terminalId,
      agentVersion: AGENT_VERSION,
      boot: this.boot,
      session: connection.session,
      startedAt,
      restart: started.restart,
      availability: now.availability,
      reasons: now.reasons,
      faults,
      maintenance: maintenance.state,
      devices: devices.status(scheduler.figures()),
      outbox: outbox.figures(),
      connection: connection.link.figures(),
      logLevel: this.logLevel.state,
      clock: clockSteps.figures(),
    };
  }

  /** Active self-tests now (the `diag` command), of one device or all. */
  selfTest(only?: DeviceName): Promise<SelfTestResults> {
    return runSelfTests(this.live().devices.drivers, this.clock, only);
  }

  private live(): Running {
    if (!this.running) throw new Error('the agent is not running');
    return this.running;
  }

  /** What technician commands may reach: no more than this. */
  private opContext(devices: DeviceName[], journal: FaultJournal, maintenance: Maintenance, uplink: Uplink): OpContext {
    return {
      devices,
      logDir: this.config.logDir,
      status: () => this.status(),
      selfTest: (device) => this.selfTest(device),
      setMaintenance: (on, reason, minutes) => maintenance.set(on, reason, minutes),
      rebirth: () => uplink.rebirth(),
      journal,
      logLevel: this.logLevel,
      merchant: merchantApproval(
        () => this.live().devices.drivers.get('merchant') as MerchantDriver | undefined,
        () => this.live().scheduler.pollNow('merchant'),
      ),
    };
  }

}
