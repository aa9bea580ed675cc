import { formatProblems, loadConfig, polledDevices } from './config.js';
import { redactUrl } from '../basics/url.js';
import { EXIT } from '../basics/exit.js';

/** `pos-agent check-config FILE`: every problem with its JSON path, exit 2; or a summary, exit 0. */
export async function checkConfigCommand(args: string[]): Promise<number> {
  const [file, ...extra] = args;
  if (file === undefined || file.startsWith('-') || extra.length > 0) {
    process.stderr.write('usage: pos-agent check-config FILE\n');
    return EXIT.USAGE;
  }
  const result = loadConfig(file);
  if (!result.ok) {
    process.stderr.write(`${file}: ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}\n${formatProblems(result.problems)}\n`);
    return EXIT.USAGE;
  }
  const { config } = result;
  process.stdout.write(
    `${file}: valid. Terminal ${config.terminalId}, broker ${redactUrl(config.mqtt.url)} (MQTT ${config.mqtt.protocolVersion === 5 ? '5' : '3.1.1'}), ` +
      `devices ${polledDevices(config).join(', ')}\n`,
  );
  return EXIT.OK;
}
