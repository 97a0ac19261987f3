/**
 * Two test projects over the same suites:
 * - `node`: every `*.test.ts`, on cpu, wasm and webgpu (Dawn) — and tensorflow when installed.
 * - `browser`: the suites that are not Node-only (`*.node.test.ts`), in headless Chromium through
 *   playwright-core, on webgl and webgpu (wasm and cpu are covered by `node`).
 * Packages import each other's TypeScript sources here, so tests never run against a stale dist/.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import { chromiumLaunchOptions, findChromium } from './scripts/chromium.js';

const src = (pkg: string, file = 'index.ts') => fileURLToPath(new URL(`./packages/${pkg}/src/${file}`, import.meta.url));

const alias = [
  { find: /^@recurrent\/core\/testing$/, replacement: src('core', 'testing/index.ts') },
  { find: /^@recurrent\/(core|models|bench|demo)$/, replacement: src('$1') },
];

/** Reached only through `importOptional()` in Node; a browser bundle must never contain them. */
const NODE_ONLY_PACKAGES = ['webgpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'];

const node: TestProjectInlineConfiguration = {
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
};

const chromium = findChromium();

const browser: TestProjectInlineConfiguration = {
  resolve: { alias },
  optimizeDeps: {
    // The dependency scanner cannot follow importOptional()'s computed specifier anyway; this
    // keeps the Node-only packages out of the pre-bundle should a literal import ever appear.
    exclude: NODE_ONLY_PACKAGES,
  },
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
      provider: playwright({ launchOptions: chromiumLaunchOptions(chromium) }),
      instances: [{ browser: 'chromium' }],
      // WebGPU is exposed only to secure contexts: http://127.0.0.1 is one, a LAN address is not.
      api: { host: '127.0.0.1' },
    },
  },
};

if (chromium === undefined) {
  // scripts/ensure-system.mjs has already said so; say it again where the test run is.
  console.warn(
    '\n[vitest.config] SKIPPING the browser project (webgl, webgpu in Chromium): ' +
      (process.env.RECURRENT_CHROMIUM
        ? `RECURRENT_CHROMIUM=${process.env.RECURRENT_CHROMIUM} does not exist.`
        : 'no Chromium at /usr/lib/chromium/chromium or /usr/bin/chromium.') +
      ' Install Debian\'s `chromium` (`sudo node scripts/ensure-system.mjs`), or set RECURRENT_CHROMIUM to a Chromium binary.\n',
  );
}

export default defineConfig({
  resolve: { alias },
  test: {
    projects: chromium === undefined ? [node] : [node, browser],
  },
});
