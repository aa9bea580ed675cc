import { defineConfig } from 'tsup';
import { serialportBinding, silentDebug } from './build/esbuild-plugins.js';

// One executable. Subcommands other than `run` are loaded with dynamic import(), so the daemon on
// a terminal never loads the simulator or the technician client. Dependencies are bundled and
// minified (build/esbuild-plugins.ts says why); aedes, the demo's broker, stays a package.
// `bench` is the benchmark (`npm run bench`).
export default defineConfig({
  entry: { cli: 'cli/index.ts', bench: 'bench/index.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  splitting: true,
  sourcemap: true,
  clean: true,
  minify: true,
  noExternal: [/^(?!aedes$)/],
  esbuildPlugins: [serialportBinding, silentDebug],
  // A wall clock earlier than this is wrong (SYS_CLOCK_INVALID, basics/build-time.ts).
  define: { POS_AGENT_BUILT_AT: String(process.env.SOURCE_DATE_EPOCH ? Number(process.env.SOURCE_DATE_EPOCH) * 1000 : Date.now()) },
  banner: {
    // Bundled CommonJS dependencies call require() for Node's own modules.
    js: "#!/usr/bin/env node\nimport { createRequire as __posAgentRequire } from 'node:module'; const require = __posAgentRequire(import.meta.url);",
  },
});
