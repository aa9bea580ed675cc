import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['basics/**/*.test.ts', 'cli/**/*.test.ts', 'test/devices/**/*.test.ts', 'agent/**/*.test.ts', 'drivers/**/*.test.ts', 'protocol/**/*.test.ts', 'sim/**/*.test.ts', 'tech/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/**/*.test.ts'],
          exclude: ['test/devices/**'],
          testTimeout: 60_000,
          hookTimeout: 30_000,
        },
      },
    ],
  },
});
