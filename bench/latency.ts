import path from 'node:path';
import type { BenchContext, Figure } from './index.js';
import { AgentProcess, BenchTerminal, benchTools, benchWorld, percentile, sleep, backEnd } from './rig.js';

/**
 * Detection latency: from the moment the simulator changes a device's state to the moment the
 * R/fault raise arrives at a subscriber, through the agent, its outbox fsync and the broker.
 * A polled fault (the card reader's tamper flag, read every second) is injected at a random
 * point of its poll interval; a printer fault (paper out) arrives by Automatic Status Back.
 */
const READER_POLL_SECONDS = 1;

export async function latencySection(context: BenchContext): Promise<Figure[]> {
  const tools = benchTools();
  if (typeof tools === 'string') return [{ name: 'detection latency', unit: 'ms', skipped: tools }];
  const injections = context.quick ? 40 : 200;
  const world = await benchWorld(tools);
  const bench = await BenchTerminal.create(path.join(context.dir, 'terminal'), tools, {
    brokerUrl: world.broker.url,
    terminalId: 'BENCH-LATENCY',
    pollSeconds: READER_POLL_SECONDS,
    probeHost: world.probeHost,
  });
  const subscriber = await backEnd(world.broker.url, 'pos/v1/BENCH-LATENCY/+');
  const agent = new AgentProcess(bench.configFile);
  const { printer, cardReader } = bench.terminal;
  let lastSeq = 0;
  const fault = async (code: string, state: string) => {
    const message = await subscriber.next(`${code} ${state}`, (m) => m.topic.endsWith('/fault') && m.json.code === code && m.json.state === state && m.json.seq > lastSeq, 30_000);
    lastSeq = message.json.seq;
    return message;
  };
  try {
    await subscriber.waitFor('first heartbeat', (m) => m.topic.endsWith('/heartbeat'), 30_000);
    await sleep(3_000);
    const polled: number[] = [];
    for (let i = 1; i <= injections; i++) {
      if (i % 20 === 0) context.progress(`polled fault: ${i} of ${injections}`);
      // A random moment of the poll interval, so the injections do not ride the poll's phase.
      await sleep(Math.random() * READER_POLL_SECONDS * 1000);
      const injectedAt = performance.now();
      const raised = fault('READER_TAMPER', 'raised');
      cardReader!.set({ tamperLive: true });
      polled.push((await raised).at - injectedAt);
      const cleared = fault('READER_TAMPER', 'cleared');
      cardReader!.set({ tamperLive: false, tamperLatched: false });
      await cleared;
    }
    const statusBack: number[] = [];
    for (let i = 1; i <= injections; i++) {
      if (i % 50 === 0) context.progress(`status back fault: ${i} of ${injections}`);
      await sleep(Math.random() * 200);
      const injectedAt = performance.now();
      const raised = fault('PRINTER_PAPER_OUT', 'raised');
      printer!.set({ paper: 'out' });
      statusBack.push((await raised).at - injectedAt);
      const cleared = fault('PRINTER_PAPER_OUT', 'cleared');
      printer!.set({ paper: 'ok' });
      await cleared;
    }
    const ms = (value: number) => Math.round(value);
    return [
      { name: 'polled fault (READER_TAMPER), p50', value: ms(percentile(polled, 50)), unit: 'ms', note: `${injections} injections, reader polled every ${READER_POLL_SECONDS} s` },
      { name: 'polled fault (READER_TAMPER), p99', value: ms(percentile(polled, 99)), unit: 'ms', note: `target ≤ ${READER_POLL_SECONDS * 1000 + 100} ms (one poll interval + 100 ms); max ${ms(Math.max(...polled))} ms` },
      { name: 'status back fault (PRINTER_PAPER_OUT), p50', value: ms(percentile(statusBack, 50)), unit: 'ms', note: `${injections} injections, printer polled every ${READER_POLL_SECONDS} s as well` },
      { name: 'status back fault (PRINTER_PAPER_OUT), p99', value: ms(percentile(statusBack, 99)), unit: 'ms', note: `target < 100 ms; max ${ms(Math.max(...statusBack))} ms` },
    ];
  } finally {
    await agent.stop();
    await subscriber.close();
    await bench.close();
    await world.close();
  }
}
