import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AgentError, errorMessage } from '../basics/errors.js';
import { EXIT } from '../basics/exit.js';
import { holdsWithin } from '../basics/wait.js';
import { createLog } from '../agent/log.js';
import { FaultLatency } from './fault-latency.js';
import { FleetInjector } from './fleet-injector.js';
import { FleetObserver, type TopicCounts } from './fleet-observer.js';
import { parseFleetOptions } from './fleet-options.js';
import { formatReport, liveLine, messageRates, type FleetReport } from './fleet-report.js';
import { FleetTerminals, fleetTerminalId, inFleet } from './fleet-terminals.js';
import { ProbeHost } from './probe-host.js';
import { ProcessMeter } from './process-meter.js';
import { StatusLine } from './status-line.js';

/**
 * `pos-agent sim --terminals N --broker URL`: fleet mode. N simulated terminals, each with its own
 * agent and so its own MQTT connection and state folder, in this one process, for load tests of a
 * back end. Random printer faults come and go across the fleet; a subscriber of its own counts the
 * messages by topic and times each fault from its injection to its arrival.
 */

const TOPIC_ROOT = 'pos/v1';
const LIVE_EVERY_MS = 5_000;
/** After the last injection is taken away: how long its clear may take to arrive. */
const CLEARS_WITHIN_MS = 10_000;
/** After the agents stopped: how long their clean-offline states may take to arrive. */
const OFFLINE_WITHIN_MS = 5_000;

export async function fleetCommand(args: string[]): Promise<number> {
  const options = parseFleetOptions(args);
  const folder = prepareFolder(options.dir);
  const logging = createLog({ level: 'warn', logDir: folder.dir, stderr: false });
  const status = new StatusLine();
  const now = () => performance.now();
  const latency = new FaultLatency();
  const liveMeter = new ProcessMeter();
  const measuredMeter = new ProcessMeter();

  let observer: FleetObserver;
  try {
    observer = await FleetObserver.connect({
      url: options.broker, topicRoot: TOPIC_ROOT, protocolVersion: options.protocolVersion, latency, now,
      ours: (terminalId) => inFleet(terminalId, options.firstId, options.terminals),
    });
  } catch (error) {
    logging.close();
    folder.remove();
    process.stderr.write(`pos-agent sim: cannot subscribe at the broker ${options.broker}: ${errorMessage(error)}\n`);
    return EXIT.FATAL;
  }
  const probeHost = await ProbeHost.start();
  const terminals = new FleetTerminals({
    dir: folder.dir,
    brokerUrl: options.broker,
    protocolVersion: options.protocolVersion,
    heartbeatSeconds: options.heartbeatSeconds,
    firstId: options.firstId,
    log: logging.log,
    probeHost,
  });
  const injector = new FleetInjector({
    faultsPerMinute: options.faultsPerMinute,
    faultSeconds: options.faultSeconds,
    latency,
    now,
    onError: (error) => logging.log.warn({ err: error.message }, 'a fault could not be injected or cleared'),
  });
  const stopRequested = onStopSignal(() => terminals.interrupt(), status);

  status.print(
    `Starting ${options.terminals} terminals (${fleetTerminalId(options.firstId)} on) against ${options.broker}, ${options.batch} at a time (each batch once the previous one is connected, or after 10 s); log at warn in ${path.join(folder.dir, 'agent.log')}`,
  );
  const startedAt = now();
  let allConnectedSaid = false;
  const sayAllConnected = (connected: number) => {
    if (allConnectedSaid || connected < options.terminals) return;
    allConnectedSaid = true;
    status.print(`All ${options.terminals} terminals connected after ${seconds(now() - startedAt)} s`);
  };
  const startupError = await terminals.start(options.terminals, options.batch, ({ started, connected }) => {
    status.update(`starting: ${started} of ${options.terminals} started, ${connected} connected`);
    sayAllConnected(connected);
  });
  const startup = { seconds: seconds(now() - startedAt), ...terminals.progress(), ...(startupError ? { error: startupError.message } : {}) };
  if (startupError) status.print(`Start-up stopped at ${startup.started} of ${options.terminals} terminals: ${startupError.message}`);
  else status.print(`Started ${startup.started} terminals in ${startup.seconds} s, ${startup.connected} connected`);
  sayAllConnected(startup.connected);

  // The measured window: from the end of start-up to the stop.
  const measuredFrom = now();
  measuredMeter.reset();
  liveMeter.reset();
  const countsAtStart = { ...observer.counts };
  let lastCounts = countsAtStart;
  if (!startupError) injector.start(terminals.members.filter((member) => member.started));
  const live = setInterval(() => {
    const counts = { ...observer.counts };
    const process = liveMeter.read();
    liveMeter.reset();
    const connected = terminals.connected();
    sayAllConnected(connected);
    status.update(
      liveLine({
        seconds: (now() - measuredFrom) / 1000,
        terminals: options.terminals,
        connected,
        rates: perSecond(lastCounts, counts, process.seconds),
        raise: latency.report().raise,
        process,
      }),
    );
    lastCounts = counts;
  }, LIVE_EVERY_MS);

  let durationTimer: NodeJS.Timeout | undefined;
  const durationOver = new Promise<void>((resolve) => {
    if (options.durationSeconds !== undefined) durationTimer = setTimeout(resolve, options.durationSeconds * 1000);
  });
  if (!startupError) await Promise.race([stopRequested, durationOver]);
  clearTimeout(durationTimer);
  clearInterval(live);
  const measured = { seconds: seconds(now() - measuredFrom), connectedAtEnd: terminals.connected() };
  const countsAtEnd = { ...observer.counts };
  const processFigures = measuredMeter.read();

  status.print('Stopping: faults still injected are taken away, then every agent stops');
  await injector.stop();
  await holdsWithin(() => latency.awaitingClear === 0, CLEARS_WITHIN_MS, 100);
  const stopFrom = now();
  await terminals.stop();
  const started = terminals.members.filter((member) => member.started).length;
  await holdsWithin(() => observer.terminals().cleanlyOffline >= started, OFFLINE_WITHIN_MS, 100);
  const stop = { seconds: seconds(now() - stopFrom) };
  await observer.close();
  await probeHost.close();
  logging.close();
  liveMeter.stop();
  measuredMeter.stop();

  const report: FleetReport = {
    at: new Date().toISOString(),
    terminals: options.terminals,
    firstId: options.firstId,
    broker: options.broker,
    protocolVersion: options.protocolVersion,
    heartbeatSeconds: options.heartbeatSeconds,
    faultsPerMinute: options.faultsPerMinute,
    faultSeconds: options.faultSeconds,
    batch: options.batch,
    startup,
    measured,
    messages: messageRates(observer.counts, countsAtStart, countsAtEnd, measured.seconds),
    observed: observer.terminals(),
    faults: { ...latency.report(), skippedArrivals: injector.skippedArrivals },
    process: { ...processFigures, peakRssMiB: Math.max(liveMeter.peakRssMiB, measuredMeter.peakRssMiB) },
    stop,
    ...(options.keep ? { keptIn: folder.dir } : {}),
  };
  status.print(`\n${formatReport(report)}`);
  if (options.json) fs.writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
  if (!options.keep) folder.remove();
  return startupError ? EXIT.FATAL : EXIT.OK;
}

/**
 * The fleet's folder: `--dir` (made if missing), or a new one in the system's temp folder. What
 * the fleet puts there is removed at the end unless `--keep`.
 */
function prepareFolder(dir: string | undefined): { dir: string; remove(): void } {
  if (dir === undefined) {
    const made = fs.mkdtempSync(path.join(os.tmpdir(), 'pos-agent-fleet-'));
    return { dir: made, remove: () => fs.rmSync(made, { recursive: true, force: true }) };
  }
  const resolved = path.resolve(dir);
  const existed = fs.existsSync(resolved);
  fs.mkdirSync(resolved, { recursive: true });
  const ours = (name: string) => name.startsWith('FLEET-') || name.startsWith('agent.log');
  const left = fs.readdirSync(resolved).filter(ours);
  if (left.length > 0) {
    throw new AgentError('USAGE', `${resolved} holds another fleet's folders or log (${left.slice(0, 3).join(', ')}…): remove them or give another --dir`);
  }
  return {
    dir: resolved,
    remove() {
      if (!existed) return fs.rmSync(resolved, { recursive: true, force: true });
      for (const name of fs.readdirSync(resolved).filter(ours)) fs.rmSync(path.join(resolved, name), { recursive: true, force: true });
    },
  };
}

/** The first SIGINT or SIGTERM stops the fleet cleanly; a second one ends the process at once. */
function onStopSignal(interrupt: () => void, status: StatusLine): Promise<void> {
  return new Promise((resolve) => {
    let asked = false;
    const onSignal = () => {
      if (asked) {
        status.print('Second signal: exiting without stopping the agents');
        process.exit(EXIT.FATAL);
      }
      asked = true;
      interrupt();
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

function perSecond(before: TopicCounts, after: TopicCounts, windowSeconds: number): Partial<TopicCounts> {
  const rates: Partial<TopicCounts> = {};
  for (const suffix of Object.keys(after) as (keyof TopicCounts)[]) rates[suffix] = windowSeconds > 0 ? (after[suffix] - before[suffix]) / windowSeconds : 0;
  return rates;
}

function seconds(ms: number): number {
  return Math.round(ms / 100) / 10;
}
