import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['basics/**/*.test.ts', 'cli/**/*.test.ts', 'test/devices/**/*.test.ts', 'agent/**/*.test.ts', 'drivers/**/*.test.ts', 'protocol/**/*.test.ts', 'sim/**/*.test.ts', 'tech/**/*.test.ts'],
          // The property tests run thousands of cases: a few seconds alone, several times that when
          // another process keeps a core busy. The timeout is a hang detector, not a speed test.
          testTimeout: 30_000,
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
