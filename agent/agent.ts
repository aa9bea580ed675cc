import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type mqtt from 'mqtt';
import type { Logger } from 'pino';
import { allThresholdDefaults, deviceModule } from '../drivers/index.js';
import { serialportOpener } from '../drivers/serial/serialport-transport.js';
import { sysfsAt } from '../drivers/sysfs.js';
import { tcpProbe } from '../drivers/tcp-probe.js';
import { resolveThresholds } from '../drivers/thresholds.js';
import type { DeviceModule, Driver, DriverEnv, Sample, SelfTest } from '../drivers/types.js';
import type { DeviceName } from '../protocol/devices.js';
import type { BirthMessage, FaultMessage } from '../protocol/messages.js';
import { terminalTopics, type TerminalTopics } from '../protocol/topics.js';
import { verdict, type Verdict } from './availability.js';
import { systemClock, type Clock, type Timer } from '../basics/clock.js';
import { CommandDispatcher } from './commands/dispatcher.js';
import { merchantApproval } from './commands/merchant-approval.js';
import type { OpContext } from './commands/ops.js';
import type { MerchantDriver } from '../drivers/merchant/driver.js';
import { ReplayCache } from './commands/replay-cache.js';
import { TechnicianKeys } from './commands/technician-keys.js';
import { polledDevices, type AgentConfig } from './config.js';
import { errorMessage } from '../basics/errors.js';
import { FaultEngine, type ActiveFault, type FaultTransition } from './fault-engine.js';
import { FaultJournal } from './fault-journal.js';
import { fileFaultStore } from './fault-store.js';
import { acquireLock, ensureDir } from './files.js';
import { TemporaryLogLevel, type LogLevelState } from './log-level.js';
import { Maintenance } from './maintenance.js';
import { MqttLink, type LinkFigures } from './mqtt-link.js';
import { FileStore } from './outbox/file-store.js';
import { Outbox, type OutboxFigures } from './outbox/outbox.js';
import type { OutboxStore } from './outbox/store.js';
import { redactMessage } from './redact.js';
import { Scheduler, type PollFigures } from './scheduler.js';
import { SessionCounter } from './session.js';
import { faultMessage, faultsSnapshot, heartbeatMessage } from './telemetry.js';
import { Uplink } from './uplink.js';
import { AGENT_VERSION } from './version.js';

/** MQTT 5 will delay (SPEC.md section 4) and the session expiry that must cover it. */
const WILL_DELAY_SECONDS = 30;
const SESSION_EXPIRY_SECONDS = 60;
/** SIGTERM to exit within 5 s: at most this long waiting for the outbox to drain. */
const DRAIN_ON_STOP_MS = 2_500;
const SELF_TEST_TIMEOUT_MS = 10_000;

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
}

export interface DeviceStatus {
  online: boolean;
  at?: number;
  reading?: unknown;
  error?: string;
  polls?: PollFigures;
}

export interface AgentStatus {
  terminalId: string;
  agentVersion: string;
  boot: string;
  session: number;
  startedAt: number;
  availability: Verdict['availability'];
  reasons: Verdict['reasons'];
  faults: ActiveFault[];
  maintenance: Maintenance['state'];
  devices: Partial<Record<DeviceName, DeviceStatus>>;
  outbox: OutboxFigures;
  connection: LinkFigures;
  logLevel: LogLevelState;
}

/**
 * The daemon: polls the devices, feeds the one fault engine, and sends every message through the
 * one uplink. It holds no transport of its own: drivers get theirs injected, messages leave
 * through the outbox.
 */
export class Agent {
  readonly boot = randomBytes(4).toString('hex');
  readonly topics: TerminalTopics;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly latest = new Map<DeviceName, Sample<unknown>>();
  private readonly modules = new Map<DeviceName, DeviceModule<unknown, unknown>>();
  private readonly drivers = new Map<DeviceName, Driver<unknown>>();
  private readonly polled: DeviceName[];
  private outbox!: Outbox;
  private engine!: FaultEngine;
  private scheduler!: Scheduler;
  private link!: MqttLink;
  private uplink!: Uplink;
  private maintenance!: Maintenance;
  private sessions!: SessionCounter;
  private journal!: FaultJournal;
  private commands!: CommandDispatcher;
  private readonly logLevel: TemporaryLogLevel;
  private session = 0;
  private heartbeatTimer: Timer | undefined;
  private heartbeating = false;
  private stopping = false;
  private startedAt = 0;
  private releaseLock: (() => void) | undefined;

  constructor(
    private config: AgentConfig,
    private readonly deps: AgentDeps,
  ) {
    this.clock = deps.clock ?? systemClock;
    this.log = deps.log;
    this.topics = terminalTopics(config.mqtt.topicRoot, config.terminalId);
    this.polled = polledDevices(config);
    for (const name of this.polled) this.modules.set(name, deviceModule(name));
    this.logLevel = new TemporaryLogLevel(config.logLevel, (level) => deps.setLogLevel?.(level), this.clock, this.log);
  }

  async start(): Promise<void> {
    const { config, clock, log } = this;
    this.startedAt = clock.now();
    ensureDir(config.stateDir);
    this.releaseLock = acquireLock(config.stateDir);

    this.journal = new FaultJournal(config.stateDir);
    const store = this.deps.store ?? new FileStore({ dir: path.join(config.stateDir, 'outbox'), maxBytes: config.outbox.maxBytes, log });
    this.outbox = await Outbox.open({ store, maxBytes: config.outbox.maxBytes, log });
    this.engine = new FaultEngine({
      store: fileFaultStore(config.stateDir, log),
      reserveSeq: () => this.outbox.reserve(),
      announce: (transition) => this.announce(transition),
    });
    this.resendUnwrittenRaises();

    this.maintenance = new Maintenance(config.stateDir, clock, log);
    this.maintenance.on('change', () => this.publishSnapshot());
    await this.maintenance.start();

    this.sessions = new SessionCounter(config.stateDir, log);
    this.link = this.createLink();
    // Before the uplink's own listener: the birth it publishes carries this connection's session.
    this.link.on('up', () => {
      this.session = this.sessions.connected();
    });
    this.uplink = new Uplink({ link: this.link, outbox: this.outbox, topics: this.topics, clock, log, birth: () => this.birth(), random: this.deps.random });
    this.commands = new CommandDispatcher({
      terminalId: config.terminalId,
      keys: new TechnicianKeys(config.technicianKeys),
      replay: new ReplayCache(config.stateDir, clock, log),
      context: this.opContext(),
      replies: this.uplink,
      clock,
      log,
    });
    this.link.on('message', (topic, payload, correlationData) => {
      if (topic === this.topics.cmd && !this.stopping) void this.commands.handle(payload, correlationData);
    });

    const retired = this.engine.retireDevices(this.polled, clock.now());
    this.scheduler = new Scheduler({ clock, log, onSample: (device, sample) => this.onSample(device, sample) });
    this.configureDevices();
    this.publishSnapshot();
    if (retired.length > 0) log.info({ cleared: retired.map((t) => t.fault.code) }, 'cleared faults of devices that are no longer configured');

    this.link.start();
    await this.scheduler.start();
    log.info({ terminalId: config.terminalId, devices: this.polled, boot: this.boot, version: AGENT_VERSION }, 'agent started');
  }

  /** Stops polling, drains what it can, publishes the clean-offline state and releases the state folder. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.clock.clearTimeout(this.heartbeatTimer);
    this.maintenance?.stop();
    this.commands?.stop();
    this.logLevel.stop();
    await this.scheduler?.stop();
    if (this.outbox) {
      await this.outbox.flush();
      if (this.link.isUp) await this.uplink.drain(DRAIN_ON_STOP_MS);
      await this.uplink.close({ online: false, session: this.session, reason: 'shutdown', ts: this.clock.now() }, 1_000);
      await this.outbox.close();
    }
    this.journal?.close();
    this.releaseLock?.();
    this.log.info({ terminalId: this.config.terminalId }, 'agent stopped');
  }

  /** Applies a new config without dropping the MQTT session: thresholds, intervals, log level, technician keys. */
  reload(next: AgentConfig): void {
    const fixed = (config: AgentConfig) =>
      JSON.stringify([config.terminalId, config.mqtt, config.stateDir, config.logDir, config.sysfsRoot, config.procRoot, polledDevices(config)]);
    if (fixed(next) !== fixed(this.config)) {
      this.log.warn('broker, terminal id, folders or the set of devices changed: they take effect at the next restart');
    }
    const previousHeartbeat = this.config.heartbeatSeconds;
    this.config = { ...this.config, logLevel: next.logLevel, technicianKeys: next.technicianKeys, thresholds: next.thresholds, heartbeatSeconds: next.heartbeatSeconds, devices: next.devices };
    this.logLevel.configure(next.logLevel);
    this.commands.setKeys(new TechnicianKeys(next.technicianKeys));
    this.configureDevices();
    if (previousHeartbeat !== next.heartbeatSeconds && this.heartbeating) this.scheduleHeartbeat();
    this.log.info({ logLevel: next.logLevel, heartbeatSeconds: next.heartbeatSeconds }, 'config reloaded');
  }

  status(): AgentStatus {
    const faults = this.engine.list();
    const now = verdict(faults, this.maintenance.state.on);
    const polls = this.scheduler.figures();
    const devices: AgentStatus['devices'] = {};
    for (const name of this.polled) {
      const sample = this.latest.get(name);
      devices[name] = !sample
        ? { online: false, polls: polls[name] }
        : sample.ok
          ? { online: true, at: sample.at, reading: sample.reading, polls: polls[name] }
          : { online: false, at: sample.at, error: errorMessage(sample.error), polls: polls[name] };
    }
    return {
      terminalId: this.config.terminalId,
      agentVersion: AGENT_VERSION,
      boot: this.boot,
      session: this.session,
      startedAt: this.startedAt,
      availability: now.availability,
      reasons: now.reasons,
      faults,
      maintenance: this.maintenance.state,
      devices,
      outbox: this.outbox.figures(),
      connection: this.link.figures(),
      logLevel: this.logLevel.state,
    };
  }

  /**
   * Active self-tests now (the `diag` command): each driver's own, or one read for a driver that
   * has none. A test that throws or hangs is a failure with its reason, never an exception.
   */
  async selfTest(only?: DeviceName): Promise<Partial<Record<DeviceName, SelfTest>>> {
    const results: Partial<Record<DeviceName, SelfTest>> = {};
    const devices = [...this.drivers.keys()].filter((name) => only === undefined || name === only);
    await Promise.all(
      devices.map(async (name) => {
        const driver = this.drivers.get(name)!;
        const controller = new AbortController();
        const timer = this.clock.setTimeout(() => controller.abort(), SELF_TEST_TIMEOUT_MS);
        try {
          const test = driver.selfTest
            ? driver.selfTest(controller.signal)
            : driver.read(controller.signal).then((reading) => ({ pass: true, detail: { reading } }));
          const aborted = new Promise<never>((_, reject) =>
            controller.signal.addEventListener('abort', () => reject(new Error(`no result within ${SELF_TEST_TIMEOUT_MS} ms`)), { once: true }),
          );
          results[name] = await Promise.race([test, aborted]);
        } catch (error) {
          results[name] = { pass: false, detail: { error: errorMessage(error) } };
        } finally {
          this.clock.clearTimeout(timer);
        }
      }),
    );
    return results;
  }

  /** What technician commands may reach: no more than this. */
  private opContext(): OpContext {
    return {
      devices: this.polled,
      logDir: this.config.logDir,
      status: () => this.status(),
      selfTest: (device) => this.selfTest(device),
      setMaintenance: (on, reason, minutes) => this.maintenance.set(on, reason, minutes),
      rebirth: () => this.uplink.rebirth(),
      journal: this.journal,
      logLevel: this.logLevel,
      merchant: merchantApproval(() => this.drivers.get('merchant') as MerchantDriver | undefined, () => this.scheduler.pollNow('merchant')),
    };
  }

  private createLink(): MqttLink {
    const { mqtt } = this.config;
    const read = (file: string | undefined) => (file ? fs.readFileSync(file) : undefined);
    return new MqttLink({
      url: mqtt.url,
      clientId: this.config.terminalId,
      protocolVersion: mqtt.protocolVersion,
      keepaliveSeconds: mqtt.keepaliveSeconds,
      username: mqtt.username,
      password: mqtt.password,
      ca: read(mqtt.ca),
      cert: read(mqtt.cert),
      key: read(mqtt.key),
      sessionExpirySeconds: SESSION_EXPIRY_SECONDS,
      will: () => {
        const lost = { online: false, session: this.sessions.forAttempt(), reason: 'lost' };
        return { topic: this.topics.state, payload: Buffer.from(JSON.stringify(lost)), delaySeconds: WILL_DELAY_SECONDS };
      },
      subscriptions: [this.topics.cmd],
      clock: this.clock,
      log: this.log,
      random: this.deps.random,
      connect: this.deps.connect,
    });
  }

  private birth(): BirthMessage {
    return {
      online: true,
      ts: this.clock.now(),
      session: this.session,
      boot: this.boot,
      agentVersion: AGENT_VERSION,
      heartbeatSeconds: this.config.heartbeatSeconds,
      devices: this.polled,
    };
  }

  /** (Re)builds drivers' rules and intervals from the config; drivers are created once. */
  private configureDevices(): void {
    const thresholds = resolveThresholds(allThresholdDefaults(), this.config.thresholds);
    for (const [name, module] of this.modules) {
      const deviceConfig = module.config.parse((this.config.devices as Record<string, unknown>)[name] ?? {});
      this.engine.setRules(name, module.rules(thresholds));
      const intervalMs = module.pollSeconds(deviceConfig) * 1000;
      if (this.scheduler.has(name)) {
        this.scheduler.setInterval(name, intervalMs);
      } else {
        const driver = module.create(deviceConfig, this.driverEnv(name));
        this.drivers.set(name, driver);
        this.scheduler.add(name, driver, intervalMs);
      }
    }
  }

  private driverEnv(device: DeviceName): DriverEnv {
    return {
      clock: this.clock,
      log: this.log.child({ device }),
      sysfs: sysfsAt(this.config.sysfsRoot),
      procfs: sysfsAt(this.config.procRoot),
      stateDir: this.config.stateDir,
      statfs: (where) => fs.promises.statfs(where),
      serial: serialportOpener,
      probe: tcpProbe,
      ...this.deps.driverEnv,
    };
  }

  /**
   * A raise is saved as active before its message is written, a clear as clearing. If the agent
   * died in between, the message was never written: write it now, under the seq it was given.
   */
  private resendUnwrittenRaises(): void {
    const unwritten = this.engine
      .list()
      .filter((fault) => fault.raiseSeq > this.outbox.lastWrittenSeq)
      .sort((a, b) => a.raiseSeq - b.raiseSeq);
    for (const fault of unwritten) {
      this.writeFault({ state: 'raised', fault, seq: fault.raiseSeq });
      this.log.warn({ code: fault.code, id: fault.id }, 'fault raise was not sent before the last stop; sending it now');
    }
    this.engine.resumeClears(this.outbox.lastWrittenSeq, (transition) => {
      this.writeFault(transition);
      this.log.warn({ code: transition.fault.code, id: transition.fault.id }, 'fault clear was not sent before the last stop; sending it now');
    });
  }

  /**
   * Writes a fault message under the seq its transition was given: masked like every message
   * (uplink.ts), journaled first, so that a crash in between repeats the journal line, which the
   * journal skips, rather than lose it.
   */
  private writeFault(transition: FaultTransition): FaultMessage {
    const message = redactMessage(faultMessage(transition, this.clock.now()));
    this.journal.record(message);
    this.outbox.put(transition.seq, 'fault', message);
    return message;
  }

  private onSample(device: DeviceName, sample: Sample<unknown>): void {
    if (this.stopping) return;
    this.latest.set(device, sample);
    const transitions = this.engine.observe(device, sample);
    if (transitions.length > 0) this.publishSnapshot();
    if (!this.heartbeating && this.polled.every((name) => this.latest.has(name))) {
      this.heartbeating = true;
      this.sendHeartbeat();
    }
  }

  private announce(transition: FaultTransition): void {
    const message = this.writeFault(transition);
    const fields = { device: message.device, code: message.code, id: message.id, seq: message.seq, detail: message.detail };
    if (transition.state === 'raised') this.log.warn(fields, `fault raised: ${message.message}`);
    else this.log.info(fields, `fault cleared: ${message.message}`);
  }

  private currentVerdict(): Verdict {
    return verdict(this.engine.list(), this.maintenance.state.on);
  }

  private publishSnapshot(): void {
    if (!this.uplink) return;
    const faults = this.engine.list();
    this.uplink.setFaults(faultsSnapshot(this.clock.now(), faults, verdict(faults, this.maintenance.state.on), this.maintenance.state));
  }

  private sendHeartbeat(): void {
    if (this.stopping) return;
    const devices: Partial<Record<DeviceName, Record<string, unknown>>> = {};
    for (const [name, module] of this.modules) {
      const sample = this.latest.get(name);
      if (sample) devices[name] = module.heartbeat(sample);
    }
    const outbox = { depth: this.outbox.depth, dropped: this.outbox.droppedCount };
    try {
      this.uplink.send('heartbeat', (seq) => heartbeatMessage(seq, this.clock.now(), this.currentVerdict(), devices, outbox));
    } catch (error) {
      this.log.error({ err: errorMessage(error) }, 'heartbeat could not be queued');
    }
    this.scheduleHeartbeat();
  }

  private scheduleHeartbeat(): void {
    this.clock.clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = this.clock.setTimeout(() => this.sendHeartbeat(), this.config.heartbeatSeconds * 1000);
  }
}
