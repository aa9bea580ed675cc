import fs from 'node:fs';
import path from 'node:path';
import { NotifySocket } from '../sim/service-manager.js';
import { findTool } from '../sim/tools.js';
import type { BenchContext, Figure } from './index.js';
import { AgentProcess, BenchTerminal, benchTools, benchWorld, sleep } from './rig.js';

/**
 * What the systemd notifications cost (docs/install.md): each message is one `systemd-notify`
 * process. The agent, at default intervals, runs once with the watchdog pinging every 100 ms and
 * once without a service manager; the difference in CPU (its own and its children's) over the
 * pings counted is the cost of one message, and the share of a core follows for one ping per
 * 15 s (WatchdogSec=30).
 */
export async function serviceNotifySection(context: BenchContext): Promise<Figure[]> {
  const tools = benchTools();
  const python = findTool('python3');
  const systemdNotify = findTool('systemd-notify');
  if (typeof tools === 'string' || !python || !systemdNotify) {
    return [{ name: 'service notifications', unit: '', skipped: typeof tools === 'string' ? tools : 'needs python3 and systemd-notify' }];
  }
  const windowSeconds = context.quick ? 20 : 60;
  const world = await benchWorld(tools);
  const terminal = await BenchTerminal.create(path.join(context.dir, 'terminal'), tools, { brokerUrl: world.broker.url, terminalId: 'BENCH-NOTIFY', probeHost: world.probeHost });
  const manager = await NotifySocket.bind(context.dir, python);
  try {
    context.progress(`the agent with a watchdog ping every 100 ms, ${windowSeconds} s`);
    const notified = await measure(terminal.configFile, windowSeconds, { NOTIFY_SOCKET: manager.path, WATCHDOG_USEC: '200000' }, async () => {
      await manager.waitFor(() => manager.with('READY').length > 0, 'READY=1', 30_000);
      return manager.with('WATCHDOG').length;
    });
    context.progress(`the agent without a service manager, ${windowSeconds} s`);
    const plain = await measure(terminal.configFile, windowSeconds, {}, async () => 0);
    const pings = notified.count;
    const perMessageMs = ((notified.cpu - plain.cpu) / pings) * 1000;
    const childMs = (notified.children / pings) * 1000;
    return [
      { name: 'watchdog pings counted', value: pings, unit: '', note: `in ${windowSeconds} s, one per 100 ms asked` },
      { name: 'CPU per notification', value: round2(perMessageMs), unit: 'ms', note: `the agent and systemd-notify together; ${round2(childMs)} ms of it in systemd-notify` },
      { name: 'CPU of the watchdog at WatchdogSec=30, share of a core', value: round3((perMessageMs / 15_000) * 100), unit: '%', note: 'one ping per 15 s; STATUS= lines cost the same, on changes only' },
    ];
  } finally {
    manager.close();
    await terminal.close();
    await world.close();
  }
}

/** CPU seconds of one agent run over the window, its children's included, and what `counted` says. */
async function measure(configFile: string, windowSeconds: number, env: NodeJS.ProcessEnv, counted: () => Promise<number>) {
  const agent = new AgentProcess(configFile, undefined, env);
  try {
    await counted(); // READY=1, when there is a manager
    await sleep(5_000);
    const start = cpu(agent.pid);
    const countStart = await counted();
    await sleep(windowSeconds * 1000);
    const end = cpu(agent.pid);
    const count = (await counted()) - countStart;
    return { cpu: end.total - start.total, children: end.children - start.children, count };
  } finally {
    await agent.stop();
  }
}

function cpu(pid: number): { total: number; children: number } {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ').map(Number);
  const children = (fields[13]! + fields[14]!) / 100;
  return { total: (fields[11]! + fields[12]!) / 100 + children, children };
}

const round2 = (value: number) => Math.round(value * 100) / 100;
const round3 = (value: number) => Math.round(value * 1000) / 1000;
