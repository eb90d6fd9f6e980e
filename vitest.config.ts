import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/browser/**'],
    // Fixed fast-check seed (FC_SEED overrides): see test/support/fast-check-setup.ts.
    setupFiles: ['test/support/fast-check-setup.ts'],
    testTimeout: 20_000,
  },
});
