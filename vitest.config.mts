import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Fails the run when a process a test started outlives the suite (test/support/global-setup.ts).
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The end-to-end suites start real servers (PostgreSQL, the MongoDB simulator) on loopback;
    // two workers match the 2-core machines this runs on.
    maxWorkers: 2,
  },
});
