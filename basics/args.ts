import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AgentError } from './errors.js';

/** parseArgs with our error: a bad flag is a usage error (exit 2), with the command's usage. */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    throw new AgentError('USAGE', (error as Error).message);
  }
}
