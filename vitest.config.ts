import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // The browser tests need a built page and Chromium: `npm run test:e2e`.
    exclude: ['test/e2e/**', 'node_modules/**'],
    // Tests spawn the CLI and read real captures; on a busy 2-core machine 5 s is too tight.
    testTimeout: 30_000,
  },
});
