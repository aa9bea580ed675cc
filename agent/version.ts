import { version } from '../package.json';

/** The version in the birth message and `--version`, from package.json at build time. */
export const AGENT_VERSION: string = version;
