// The browser test alone (`npm run test:browser`, run by .ci/run after `npm test`): it needs Debian's chromium, which
// the README's two commands do not install, so the main config's `test/**/*.test.ts` does not match its file name.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/browser/**/*.browser.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
