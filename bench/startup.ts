import { spawn } from 'node:child_process';
import path from 'node:path';
import type { BenchContext, Figure } from './index.js';
import { AgentProcess, BenchTerminal, benchTools, benchWorld, median, backEnd } from './rig.js';

/**
 * Start-up: from the moment the process is started (bin/pos-agent run) to the moment a back end
 * receives its birth, against a bare `node -e 0` measured in the same run.
 */
export async function startupSection(context: BenchContext): Promise<Figure[]> {
  const tools = benchTools();
  if (typeof tools === 'string') return [{ name: 'start-up to birth', unit: 'ms', skipped: tools }];
  const runs = context.quick ? 3 : 7;
  const world = await benchWorld(tools);
  const terminal = await BenchTerminal.create(path.join(context.dir, 'terminal'), tools, {
    brokerUrl: world.broker.url,
    terminalId: 'BENCH-START',
    probeHost: world.probeHost,
  });
  const subscriber = await backEnd(world.broker.url, 'pos/v1/BENCH-START/state');
  const agentMs: number[] = [];
  const nodeMs: number[] = [];
  try {
    for (let run = 1; run <= runs; run++) {
      context.progress(`start ${run} of ${runs}`);
      const agent = new AgentProcess(terminal.configFile);
      const birth = await subscriber.next('birth', (message) => message.json.online === true && message.json.session === run, 30_000);
      agentMs.push(birth.at - agent.startedAt);
      await agent.stop();
      nodeMs.push(await timeBareNode());
    }
  } finally {
    await subscriber.close();
    await terminal.close();
    await world.close();
  }
  const agent = median(agentMs);
  const node = median(nodeMs);
  return [
    { name: 'process start to birth at a subscriber', value: Math.round(agent), unit: 'ms', note: `median of ${runs}, bin/pos-agent run, every device on ptys` },
    { name: 'node -e 0, start to exit', value: Math.round(node), unit: 'ms', note: `median of ${runs}, same run` },
    { name: 'start-up ratio', value: Math.round((agent / node) * 10) / 10, unit: '×', note: 'birth includes the MQTT connect and the first publish' },
  ];
}

function timeBareNode(): Promise<number> {
  return new Promise((resolve) => {
    const startedAt = performance.now();
    spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' }).once('exit', () => resolve(performance.now() - startedAt));
  });
}
