import { AGENT_VERSION } from '../agent/version.js';
import { AgentError } from '../basics/errors.js';
import { EXIT } from '../basics/exit.js';

/**
 * `pos-agent <command>`. Each command is loaded only when asked for, so the daemon on a terminal
 * never loads the broker, the simulator or the technician client.
 */

const USAGE = `pos-agent ${AGENT_VERSION}: health agent for payment terminals

Usage:
  pos-agent run --config FILE        the on-device daemon
  pos-agent demo [--forever]         a simulated terminal, an embedded broker and the agent, shown live
  pos-agent sim [--dir DIR] [--config-out FILE] [--scenario FILE] [--broker URL]
                                     the hardware simulator; it writes a config for the agent
  pos-agent sim inject|clear CODE    make a fault happen on a running simulator, or go away
  pos-agent sim set DEVICE.FIELD=VALUE | unplug DEVICE | plug DEVICE | status
  pos-agent sim --terminals N --broker URL [--first-id N] [--duration S] [--heartbeat-seconds H]
                [--faults-per-minute F] [--fault-seconds S] [--protocol 4|5] [--batch B]
                [--dir DIR] [--json FILE] [--keep]
                                     fleet mode: N terminals with their agents in one process,
                                     random faults, a report of rates and fault latency
  pos-agent check-config FILE        validate a config file; exit 0 or 2
  pos-agent tech <command> …         the technician's client: status, faults, logs, diag, maintenance,
                                     loglevel, rebirth of a terminal; keygen (pos-agent tech --help)
  pos-agent --version

Exit codes: 0 clean, 2 bad usage or invalid config, 1 fatal.`;

type Command = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import('../agent/run.js')).runCommand,
  'check-config': async () => (await import('../agent/check-config.js')).checkConfigCommand,
  demo: async () => {
    try {
      return (await import('../sim/demo.js')).demoCommand;
    } catch (error) {
      // The Debian package ships the agent, not the demo's embedded broker (aedes).
      if ((error as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
      throw new AgentError('USAGE', 'the demo needs its embedded broker (aedes), which an installed agent does not include: run it from a checkout with npm start');
    }
  },
  sim: async () => (await import('../sim/cli.js')).simCommand,
  tech: async () => (await import('../tech/cli.js')).techCommand,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${AGENT_VERSION}\n`);
    return EXIT.OK;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`pos-agent: unknown command "${name}"\n\n${USAGE}\n`);
    return EXIT.USAGE;
  }
  return (await load())(args);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // A library handle left open must not keep a finished command alive.
    setTimeout(() => process.exit(code), 2_000).unref();
  },
  (error: unknown) => {
    if (error instanceof AgentError && error.code === 'USAGE') {
      process.stderr.write(`pos-agent: ${error.message}\n`);
      process.exitCode = EXIT.USAGE;
      return;
    }
    process.stderr.write(`pos-agent: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = EXIT.FATAL;
  },
);
