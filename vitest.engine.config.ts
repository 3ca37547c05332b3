import { defineConfig } from 'vitest/config';

// The engine tier (test/engine/): a real control plane, kwok nodes, the Sealed Secrets controller and
// Argo CD, started once per file. One file at a time: each starts its own control plane, and two on a
// 2-core machine would slow every sync past its timeouts.
export default defineConfig({
  test: {
    include: ['test/engine/**/*.engine.test.ts'],
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 300_000,
  },
});
