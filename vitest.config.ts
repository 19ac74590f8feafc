import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Namespace tests share the kernel; running files in parallel would race on netns names.
    fileParallelism: true,
    testTimeout: 60_000,
  },
});
