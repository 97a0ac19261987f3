/**
 * Two test projects over the same suites:
 * - `node`: every `*.test.ts`, on cpu, wasm and webgpu (Dawn) — and tensorflow when installed.
 * - `browser`: the suites that are not Node-only (`*.node.test.ts`), in headless Chromium through
 *   playwright-core, on webgl and webgpu.
 * Packages import each other's TypeScript sources here, so tests never run against a stale dist/.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import { chromiumLaunchOptions } from './scripts/chromium.js';

const src = (pkg: string, file = 'index.ts') => fileURLToPath(new URL(`./packages/${pkg}/src/${file}`, import.meta.url));

const alias = [
  { find: /^@recurrent\/core\/testing$/, replacement: src('core', 'testing/index.ts') },
  { find: /^@recurrent\/(core|models|bench|demo)$/, replacement: src('$1') },
];

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'node',
          environment: 'node',
          include: ['packages/*/src/**/*.test.ts'],
          setupFiles: [src('core', 'testing/matchers.ts')],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // One fork per file; the wasm and Dawn backends are per process.
          pool: 'forks',
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'browser',
          include: ['packages/*/src/**/*.test.ts'],
          exclude: ['**/*.node.test.ts', '**/node_modules/**'],
          setupFiles: [src('core', 'testing/matchers.ts')],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({ launchOptions: chromiumLaunchOptions() }),
            instances: [{ browser: 'chromium' }],
            api: { host: '127.0.0.1' },
          },
        },
      },
    ],
  },
});
