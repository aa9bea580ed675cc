import path from 'node:path';
import type { BenchContext, Figure } from './index.js';
import { AgentProcess, bareNode, BenchTerminal, benchTools, benchWorld, cpuSeconds, median, rssMiB, sleep, backEnd } from './rig.js';

/**
 * Every device polled once a second for long enough to make 100,000 polls in all, spread over
 * several agents at once (one agent alone would need five and a half hours): resident memory
 * before and after, its growth, and the CPU that 1 Hz polling costs. The poll counts are the
 * agents' own, from their `status` answers.
 */
export async function soakSection(context: BenchContext): Promise<Figure[]> {
  const tools = benchTools();
  if (typeof tools === 'string') return [{ name: 'soak', unit: '', skipped: tools }];
  const agents = context.quick ? 2 : 20;
  const seconds = context.quick ? 60 : 1_000;
  const world = await benchWorld(tools);
  const terminals: BenchTerminal[] = [];
  const processes: AgentProcess[] = [];
  const subscriber = await backEnd(world.broker.url, 'pos/v1/+/heartbeat');
  try {
    for (let i = 0; i < agents; i++) {
      const terminalId = `BENCH-SOAK-${String(i + 1).padStart(2, '0')}`;
      terminals.push(await BenchTerminal.create(path.join(context.dir, terminalId), tools, { brokerUrl: world.broker.url, terminalId, pollSeconds: 1, probeHost: world.probeHost }));
      processes.push(new AgentProcess(terminals[i]!.configFile));
    }
    context.progress(`${agents} agents, every device at 1 Hz; waiting for their first heartbeats`);
    await Promise.all(terminals.map((terminal) => subscriber.waitFor(`${terminal.terminalId} heartbeat`, (m) => m.topic.includes(`/${terminal.terminalId}/`), 30_000)));
    await sleep(20_000);
    const before = await Promise.all(processes.map((agent, i) => measure(agent, terminals[i]!)));
    context.progress(`soaking for ${seconds} s`);
    // Halfway, so that growth that levels off (a heap reaching its working size) can be told
    // from growth that goes on (a leak).
    await sleep((seconds / 2) * 1000);
    const halfway = processes.map((agent) => rssMiB(agent.pid));
    await sleep((seconds / 2) * 1000);
    const after = await Promise.all(processes.map((agent, i) => measure(agent, terminals[i]!)));
    const bare = await bareNode(async (child) => rssMiB(child.pid!));
    const polls = after.reduce((sum, sample, i) => sum + sample.polls - before[i]!.polls, 0);
    const growth = after.map((sample, i) => sample.rss - before[i]!.rss);
    const secondHalf = after.map((sample, i) => sample.rss - halfway[i]!);
    const cpuPerHour = after.map((sample, i) => ((sample.cpu - before[i]!.cpu) / seconds) * 3600);
    const rssAfter = median(after.map((sample) => sample.rss));
    return [
      { name: 'polls in the soak', value: polls, unit: '', note: `${agents} agents × 5 devices at 1 Hz for ${seconds} s, counted by the agents` },
      { name: 'RSS before the soak', value: round1(median(before.map((sample) => sample.rss))), unit: 'MiB', note: 'median of the agents' },
      { name: 'RSS after the soak', value: round1(rssAfter), unit: 'MiB', note: `median; bare Node.js ${round1(bare)} MiB, ratio ${round2(rssAfter / bare)}` },
      { name: 'RSS growth over the soak', value: round2(median(growth)), unit: 'MiB', note: `median; largest ${round2(Math.max(...growth))} MiB; target < 1 MiB` },
      { name: 'RSS growth over its second half', value: round2(median(secondHalf)), unit: 'MiB', note: `median; largest ${round2(Math.max(...secondHalf))} MiB: what goes on growing` },
      { name: 'CPU at 1 Hz polling', value: round1(median(cpuPerHour)), unit: 's/h', note: `median; ${round2((median(cpuPerHour) / 3600) * 100)} % of a core` },
    ];
  } finally {
    await Promise.all(processes.map((agent) => agent.stop()));
    await subscriber.close();
    for (const terminal of terminals) await terminal.close();
    await world.close();
  }
}

/**
 * An agent's memory, CPU and poll count. The count comes first: it is a signed `status` command,
 * and the first one loads the JWS code, which is the command's cost, not the soak's, so memory is
 * read after it at both ends.
 */
async function measure(agent: AgentProcess, terminal: BenchTerminal): Promise<{ rss: number; cpu: number; polls: number }> {
  const polls = await terminal.polls();
  return { rss: rssMiB(agent.pid), cpu: cpuSeconds(agent.pid), polls };
}

const round1 = (value: number) => Math.round(value * 10) / 10;
const round2 = (value: number) => Math.round(value * 100) / 100;
