import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.data/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // expect.poll waits for an outcome (a page updating, a message arriving), it does not time it:
    // a loaded machine may take a few seconds (e.g. hashing a password), which is not a failure.
    expect: { poll: { timeout: 15_000 } },
    // Integration suites start real servers (influxd, aedes); two cores are shared with them.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
