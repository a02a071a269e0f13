import { defineConfig } from 'vitest/config';

// Tests run against package sources (the '@hpc/source' export condition); child processes that
// need a built node-runner use packages/runner/dist (the runner bundle), which the test command builds first.
const resolve = { conditions: ['@hpc/source'] };

export default defineConfig({
  resolve,
  ssr: { resolve: { conditions: ['@hpc/source'], externalConditions: ['@hpc/source'] } },
  test: {
    // Each project lets console.* reach process.stdout/stderr, as on a compute node (the container captures those).
    projects: [
      {
        resolve,
        test: {
          disableConsoleIntercept: true,
          name: 'unit',
          // test/architecture: the dependency direction, module sizes and public-API snapshots (in CI).
          include: [
            'packages/*/test/**/*.test.ts',
            'apps/*/test/**/*.test.ts',
            'test/architecture/**/*.test.ts',
          ],
          exclude: ['**/*.int.test.ts', '**/*.interop.test.ts', '**/node_modules/**'],
          testTimeout: 30_000,
        },
      },
      {
        resolve,
        test: {
          disableConsoleIntercept: true,
          name: 'interop',
          include: ['packages/*/test/**/*.interop.test.ts'],
          testTimeout: 120_000,
        },
      },
      {
        resolve,
        test: {
          // Fuzz, hostile files and killed writers (test/reliability/README.md): each file runs its
          // loads and writers in child processes it can kill, so files run one at a time.
          disableConsoleIntercept: true,
          name: 'reliability',
          include: ['test/reliability/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        resolve,
        test: {
          disableConsoleIntercept: true,
          name: 'integration',
          include: [
            'packages/*/test/**/*.int.test.ts',
            'apps/*/test/**/*.int.test.ts',
            'test/**/*.int.test.ts',
          ],
          testTimeout: 300_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
