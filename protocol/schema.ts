import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

/**
 * The schema library for every config, command and scenario: zod's "mini" build, whose functions
 * tree-shake (about 20 KiB bundled, against 450 KiB for the chained API; a terminal has little
 * memory), with zod's English messages, which the mini build leaves out unless asked. Import it
 * as a namespace, `import * as z from '…/protocol/schema.js'`, so that bundling keeps only what
 * is used.
 */
config(en());

export * from 'zod/mini';
