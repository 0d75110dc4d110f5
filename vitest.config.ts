import { defineConfig } from 'vitest/config';
import path from 'node:path';

export default defineConfig({
  resolve: { alias: { '@': path.resolve(import.meta.dirname) } },
  test: {
    include: ['lib/**/*.test.ts', 'components/**/*.test.ts', 'components/**/*.test.tsx', 'scripts/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    pool: 'forks',
    // Vitest's default is one fork fewer than the cores: one on a 2-core machine, where the
    // suite then ran file after file (310 s in CI). Its longest files mostly wait (network
    // namespaces, tcpdump, servers, stalled-stream timers), so two forks share the cores well
    // (about 200 s).
    maxWorkers: 2,
  },
});
