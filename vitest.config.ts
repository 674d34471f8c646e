import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.data/**'],
    // A guard against a test that hangs, not a measure of speed (benchmarks measure speed): on a
    // machine three times slower (one booted with page-table isolation), a page test that walks every
    // screen in both languages took 60 to 90 s, and the 60 s guard failed tests that were right.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    // expect.poll waits for an outcome (a page updating, a message arriving), it does not time it:
    // a loaded machine may take a few seconds (e.g. hashing a password), which is not a failure.
    expect: { poll: { timeout: 15_000 } },
    // Integration suites start real servers (influxd, aedes); two cores are shared with them.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
