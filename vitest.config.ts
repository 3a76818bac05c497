import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{shared,kernel,runtime,main,preload,renderer,test}/**/*.test.{ts,tsx}'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
