import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Emulators and servers bind ephemeral ports; a few workers keep the 2-core machine responsive.
    pool: 'forks',
    maxWorkers: 2,
  },
});
