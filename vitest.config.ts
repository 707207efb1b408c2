import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Tests spawn the CLI and read real captures; on a busy 2-core machine 5 s is too tight.
    testTimeout: 30_000,
  },
});
