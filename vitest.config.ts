import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
    // chDB allows one data directory per process, so files that open it must not share a worker.
    pool: 'forks',
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: running more files at once only makes the engines fight for CPU.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
