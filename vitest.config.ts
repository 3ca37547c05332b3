import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Tests that start real redis/haproxy processes need more than the default 5 s on a busy machine.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Skipped tests are listed at the end with their reasons (the default reporter only counts them).
    reporters: ['default', './test/support/skip-reasons.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/**/*.process.test.ts', 'test/engine/**', 'test/constructs/**'] } },
      // Construct tests build one construct each and share no state: one module graph for all of them
      // saves vitest's per-file start (about 0.5 s a file; 10 files took 6-7 s, together 2 s).
      { extends: true, test: { name: 'constructs', include: ['test/constructs/**/*.test.ts'], isolate: false } },
      // Each of these runs a whole cluster of real processes (several per member): one file at a time,
      // so they do not starve each other of CPU on a 2-core machine and fail on timing.
      { extends: true, test: { name: 'processes', include: ['test/**/*.process.test.ts'], exclude: ['test/engine/**'], fileParallelism: false } },
    ],
  },
});
