import { Agent } from './agent.js';
import { parseCommandArgs } from '../basics/args.js';
import { formatProblems, loadConfig } from './config.js';
import { errorMessage } from '../basics/errors.js';
import { EXIT } from '../basics/exit.js';
import { createLog } from './log.js';

/** Whatever happens, SIGTERM ends the process within this (SPEC.md section 2). */
const STOP_DEADLINE_MS = 4_800;

/** `pos-agent run --config FILE`: the on-device daemon. */
export async function runCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, { config: { type: 'string', short: 'c' } });
  if (!values.config) {
    process.stderr.write('usage: pos-agent run --config FILE\n');
    return EXIT.USAGE;
  }
  const configFile = values.config;
  const loaded = loadConfig(configFile);
  if (!loaded.ok) {
    process.stderr.write(`${configFile}: invalid config\n${formatProblems(loaded.problems)}\n`);
    return EXIT.USAGE;
  }
  const { config } = loaded;
  const logging = createLog({ level: config.logLevel, logDir: config.logDir, fileBytes: config.logFiles.maxBytes, files: config.logFiles.count });
  const { log } = logging;

  process.on('uncaughtException', (error) => {
    log.fatal({ err: error }, 'uncaught exception; exiting so the service manager restarts the agent');
    logging.close();
    process.exit(EXIT.FATAL);
  });
  process.on('unhandledRejection', (reason) => {
    log.error({ err: reason }, 'unhandled promise rejection');
  });

  const agent = new Agent(config, { log, setLogLevel: (level) => (log.level = level) });
  try {
    await agent.start();
  } catch (error) {
    log.fatal({ err: errorMessage(error) }, 'agent could not start');
    logging.close();
    return EXIT.FATAL;
  }

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping');
      const deadline = setTimeout(() => {
        log.error('clean stop took too long; exiting anyway');
        logging.close();
        process.exit(EXIT.OK);
      }, STOP_DEADLINE_MS);
      agent
        .stop()
        .catch((error: unknown) => log.error({ err: errorMessage(error) }, 'error while stopping'))
        .finally(() => {
          clearTimeout(deadline);
          logging.close();
          resolve(EXIT.OK);
        });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => {
      const next = loadConfig(configFile);
      if (!next.ok) {
        log.error({ problems: next.problems }, 'config reload refused; the running config stays');
        return;
      }
      agent.reload(next.config);
    });
  });
}
