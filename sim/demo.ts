import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Agent } from '../agent/agent.js';
import { parseCommandArgs } from '../basics/args.js';
import { systemClock } from '../basics/clock.js';
import { formatProblems, parseConfig } from '../agent/config.js';
import { EXIT } from '../basics/exit.js';
import { createLog } from '../agent/log.js';
import { startBroker } from './broker.js';
import { ConsoleView } from './console-view.js';
import { DemoTechnician } from './demo-technician.js';
import { ScenarioRunner } from './scenario.js';
import { DEMO_SCENARIO } from './scenarios.js';
import { SimTerminal } from './terminal.js';

const TERMINAL_ID = 'DEMO-0001';

/**
 * `pos-agent demo`: an embedded broker, one simulated terminal, the agent, and a scripted day,
 * shown as a back end sees it. Ends after the scenario, or repeats it with `--forever`.
 */
export async function demoCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, { forever: { type: 'boolean' }, keep: { type: 'boolean' } });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pos-agent-demo-'));
  const broker = await startBroker();
  const terminal = new SimTerminal(dir);
  // In-process lines: the demo needs nothing installed (`pos-agent sim` puts them on ttys).
  await terminal.attachDevices({ kind: 'memory' });
  await terminal.attachCertificate();
  terminal.startCardTraffic(2_000);
  const raw = terminal.agentConfig({
    brokerUrl: broker.url,
    terminalId: TERMINAL_ID,
    protocolVersion: 4,
    heartbeatSeconds: 5,
    batteryPollSeconds: 1,
    systemPollSeconds: 5,
    serialPollSeconds: 1,
    networkPollSeconds: 2,
    merchantPollSeconds: 1,
    appPollSeconds: 1,
  });
  const technician = new DemoTechnician();
  (raw as { technicianKeys?: unknown }).technicianKeys = [technician.entry];
  // The demo's broker is its own: environment overrides meant for a real broker do not apply.
  const parsed = parseConfig(raw, {});
  if (!parsed.ok) throw new Error(`demo config is invalid:\n${formatProblems(parsed.problems)}`);

  const logging = createLog({ level: 'info', logDir: terminal.logDir, stderr: false });
  const agent = new Agent(parsed.config, { log: logging.log, driverEnv: { serial: terminal.serialOpener() } });
  const view = new ConsoleView(broker.url, 'pos/v1', TERMINAL_ID);
  await view.start();
  await technician.connect(broker.url, 'pos/v1', TERMINAL_ID);

  let runner: ScenarioRunner | undefined;
  let interrupted = false;
  const interrupt = () => {
    interrupted = true;
    runner?.stop();
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);

  let started = false;
  do {
    runner = new ScenarioRunner(
      terminal,
      DEMO_SCENARIO,
      systemClock,
      (step) => {
        if (step.note) view.narrate(step.note);
        if (step.technician === 'merchant-approve') {
          void technician.approveMerchant().then(
            (done) => view.narrate(`technician: ${done}`),
            (error: Error) => view.narrate(`technician: ${error.message}`),
          );
        }
      },
      (error) => view.narrate(`scenario error: ${error.message}`),
    );
    const played = runner.run();
    if (!started) {
      await agent.start();
      started = true;
    }
    await played;
  } while (values.forever && !interrupted);

  await agent.stop();
  // Let the view receive the clean-offline state before it disconnects.
  await new Promise((resolve) => setTimeout(resolve, 300));
  await view.stop();
  await technician.close();
  await terminal.close();
  await broker.close();
  logging.close();
  if (values.keep) {
    process.stdout.write(`\nThe simulated terminal, its state and its logs are in ${dir}\n`);
  } else {
    fs.rmSync(dir, { recursive: true, force: true });
    process.stdout.write('\nDemo finished. `pos-agent demo --keep` keeps the terminal folder and the agent log to look at.\n');
  }
  return EXIT.OK;
}
