import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    // Tests that synthesize the whole app take seconds alone and far longer on a loaded 2-core machine.
    testTimeout: 90_000,
    hookTimeout: 120_000,
    // Emulators and servers bind ephemeral ports; a few workers keep the 2-core machine responsive.
    pool: 'forks',
    maxWorkers: 2,
  },
});
