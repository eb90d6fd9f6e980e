import { defineConfig } from 'vitest/config';

// The headless Chromium suite: slower, needs /usr/bin/chromium; .ci/run installs it.
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
