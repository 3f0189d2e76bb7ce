import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // chDB allows one data directory per process, so files that open it must not share a worker.
    pool: 'forks',
    // Two cores: running more files at once only makes the engines fight for CPU.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          // One embedded Kafka for the run; tests use their own topics.
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
    ],
  },
});
