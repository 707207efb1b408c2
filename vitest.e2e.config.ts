import { defineConfig } from 'vitest/config';

// The browser tests (`npm run test:e2e`): the built page in Debian's Chromium against web mode.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
