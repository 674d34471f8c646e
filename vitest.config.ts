import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.data/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration suites start real servers (influxd, aedes); two cores are shared with them.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
