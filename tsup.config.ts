import { defineConfig } from 'tsup';

// One executable. Subcommands other than `run` are loaded with dynamic import(), so the
// daemon on a terminal never loads the broker, the simulator or the technician client.
// `bench` is the benchmark (`npm run bench`), not shipped to terminals' code paths.
export default defineConfig({
  entry: { cli: 'agent/cli.ts', bench: 'bench/index.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  splitting: true,
  sourcemap: true,
  clean: true,
  banner: { js: '#!/usr/bin/env node' },
});
