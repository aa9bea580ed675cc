import type { TopicSuffix } from '../protocol/topics.js';
import type { FaultLatencyReport, LatencyFigures } from './fault-latency.js';
import type { ObservedTerminals, TopicCounts } from './fleet-observer.js';
import type { ProcessFigures } from './process-meter.js';

/** What a fleet run measured: the final report (stdout and `--json`) and the live line. */

export interface FleetReport {
  at: string;
  terminals: number;
  firstId: number;
  broker: string;
  protocolVersion: 4 | 5;
  heartbeatSeconds: number;
  faultsPerMinute: number;
  faultSeconds: number;
  batch: number;
  startup: { seconds: number; started: number; connected: number; error?: string };
  /** From the end of start-up to the start of the stop: the window the rates and the process figures cover. */
  measured: { seconds: number; connectedAtEnd: number };
  /** `count` over the whole run (start-up and stop included); `perSecond` over the measured window. */
  messages: Record<TopicSuffix, { count: number; perSecond: number }>;
  observed: ObservedTerminals;
  faults: FaultLatencyReport & { skippedArrivals: number };
  process: ProcessFigures & { peakRssMiB: number };
  stop: { seconds: number };
  /** Where the terminals' folders and the shared log are, when kept. */
  keptIn?: string;
}

export function messageRates(total: TopicCounts, atStart: TopicCounts, atEnd: TopicCounts, seconds: number): FleetReport['messages'] {
  const rates = {} as FleetReport['messages'];
  for (const suffix of Object.keys(total) as TopicSuffix[]) {
    const inWindow = atEnd[suffix] - atStart[suffix];
    rates[suffix] = { count: total[suffix], perSecond: seconds > 0 ? Math.round((inWindow / seconds) * 10) / 10 : 0 };
  }
  return rates;
}

const SHOWN: TopicSuffix[] = ['state', 'heartbeat', 'fault', 'faults'];

export function formatRates(rates: Partial<Record<TopicSuffix, number>>): string {
  return SHOWN.map((suffix) => `${suffix} ${(rates[suffix] ?? 0).toFixed(1)}`).join('  ');
}

export function formatLatency(figures: LatencyFigures): string {
  if (figures.count === 0) return 'none measured';
  return `${figures.count} measured: p50 ${ms(figures.p50)}  p90 ${ms(figures.p90)}  p99 ${ms(figures.p99)}  max ${ms(figures.max)}`;
}

export function formatProcess(figures: ProcessFigures): string {
  const delay = figures.eventLoopDelayMs;
  return `RSS ${Math.round(figures.rssMiB)} MiB, CPU ${Math.round(figures.cpuPercent)} % of one core, event-loop delay p50 ${delay.p50} ms p99 ${delay.p99} ms max ${delay.max} ms`;
}

export interface LiveFigures {
  seconds: number;
  terminals: number;
  connected: number;
  rates: Partial<Record<TopicSuffix, number>>;
  raise: LatencyFigures;
  process: ProcessFigures;
}

/** Short enough for one line of a terminal: `t+35s 1000/1000 up | msg/s hb 16.7 fault 2.0 | …`. */
export function liveLine(live: LiveFigures): string {
  const rate = (suffix: TopicSuffix) => (live.rates[suffix] ?? 0).toFixed(1);
  const raise = live.raise.count === 0 ? 'no raise yet' : `raise p50 ${ms(live.raise.p50)} p99 ${ms(live.raise.p99)} (${live.raise.count})`;
  const process = live.process;
  return [
    `t+${Math.round(live.seconds)}s ${live.connected}/${live.terminals} up`,
    `msg/s hb ${rate('heartbeat')} fault ${rate('fault')} state ${rate('state')}`,
    raise,
    `rss ${Math.round(process.rssMiB)}M cpu ${Math.round(process.cpuPercent)}% loop p99 ${process.eventLoopDelayMs.p99}ms`,
  ].join(' | ');
}

export function formatReport(report: FleetReport): string {
  const rates = Object.fromEntries(Object.entries(report.messages).map(([suffix, figures]) => [suffix, figures.perSecond]));
  const counts = SHOWN.map((suffix) => `${suffix} ${report.messages[suffix].count}`).join('  ');
  const unexpected = Object.entries(report.faults.unexpected).map(([code, count]) => `${code} × ${count}`);
  const observed = report.observed;
  const lines = [
    `Fleet of ${report.terminals} terminals from FLEET-${String(report.firstId).padStart(6, '0')} against ${report.broker} (MQTT ${report.protocolVersion === 5 ? '5' : '3.1.1'}), heartbeat ${report.heartbeatSeconds} s, ${report.faultsPerMinute} faults a minute`,
    `  start-up     ${report.startup.connected} of ${report.terminals} connected, ${report.startup.started} started, in ${report.startup.seconds} s (batches of ${report.batch})${report.startup.error ? `; stopped by: ${report.startup.error}` : ''}`,
    `  measured     ${report.measured.seconds} s after start-up, ${report.measured.connectedAtEnd} connected at its end`,
    `  messages/s   ${formatRates(rates)}`,
    `  counts       ${counts} (births ${observed.births} from ${observed.born} terminals, heartbeats from ${observed.heartbeating})`,
    `  faults       ${report.faults.injected} injected, ${observed.faultsRaised} raises and ${observed.faultsCleared} clears received`,
    `  raise        ${formatLatency(report.faults.raise)}`,
    `  clear        ${formatLatency(report.faults.clear)}`,
    `  unmatched    ${unexpected.length === 0 ? 'no fault without its injection' : `faults no injection made: ${unexpected.join(', ')}`}; ${report.faults.awaitingRaise} raises and ${report.faults.awaitingClear} clears never arrived`,
    `  process      ${formatProcess(report.process)}, peak RSS ${Math.round(report.process.peakRssMiB)} MiB`,
    `  stop         ${observed.cleanlyOffline} of ${report.terminals} cleanly offline, in ${report.stop.seconds} s`,
  ];
  if (report.keptIn) lines.push(`  kept         the terminals' folders and the log (agent.log) are in ${report.keptIn}`);
  return `${lines.join('\n')}\n`;
}

function ms(value: number | undefined): string {
  return value === undefined ? '-' : `${Math.round(value)} ms`;
}
