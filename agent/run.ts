import { Agent } from './agent.js';
import { parseCommandArgs } from '../basics/args.js';
import { formatProblems, loadConfig } from './config.js';
import { errorMessage } from '../basics/errors.js';
import { EXIT } from '../basics/exit.js';
import { createLog, stderrLines } from './log.js';
import { serviceFromEnvironment } from './service.js';

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
    process.stderr.write(stderrLines(`${configFile}: invalid config\n${formatProblems(loaded.problems)}`, 3));
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

  const service = serviceFromEnvironment(process.env, () => agent.status(), log);
  const agent = new Agent(config, { log, setLogLevel: (level) => (log.level = level), onStatusChange: () => service?.changed() });
  try {
    await agent.start();
    service?.ready();
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
      service?.stopping();
      const deadline = setTimeout(() => {
        log.error('clean stop took too long; exiting anyway');
        logging.close();
        process.exit(EXIT.OK);
      }, STOP_DEADLINE_MS);
      agent
        .stop()
        .catch((error: unknown) => log.error({ err: errorMessage(error) }, 'error while stopping'))
        .then(() => service?.flush())
        .finally(() => {
          clearTimeout(deadline);
          logging.close();
          resolve(EXIT.OK);
        });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => {
      service?.reloading();
      const next = loadConfig(configFile);
      if (next.ok) agent.reload(next.config);
      else log.error({ problems: next.problems }, 'config reload refused; the running config stays');
      service?.reloaded();
    });
  });
}
