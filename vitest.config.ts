import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Tests that start real redis/haproxy processes need more than the default 5 s on a busy machine.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/**/*.process.test.ts', 'test/engine/**'] } },
      // Each of these runs a whole cluster of real processes (several per member): one file at a time,
      // so they do not starve each other of CPU on a 2-core machine and fail on timing.
      { extends: true, test: { name: 'processes', include: ['test/**/*.process.test.ts'], exclude: ['test/engine/**'], fileParallelism: false } },
    ],
  },
});
