/**
 * How the project starts Debian's Chromium (never a browser downloaded by playwright) for the
 * browser tests: headless, with WebGPU on whatever adapter the machine has — on a machine without
 * a GPU, WebGL2 and WebGPU both run on the SwiftShader that Chromium ships in /usr/lib/chromium.
 *
 * Only what playwright does not already do is set here. Playwright's own switches (1.65,
 * `chromiumSwitches`) already give what these tests rely on: `--no-sandbox` (from
 * `chromiumSandbox: false`, needed as root), `--headless`, `--enable-unsafe-swiftshader`, and the
 * quiet start of a machine without internet (`--disable-background-networking`,
 * `--disable-component-update`, `--disable-sync`, `--no-first-run`). Check them again when
 * upgrading playwright-core: `DEBUG=pw:browser npx vitest run --project browser` prints the
 * command line.
 */
import { existsSync } from 'node:fs';

/**
 * Debian's `chromium` package: the browser binary itself rather than its `/usr/bin/chromium`
 * shell wrapper, which adds desktop flags and, in containers with /dev/shm mounted twice, prints
 * `[: unexpected operator` into the test output. `RECURRENT_CHROMIUM` points elsewhere.
 */
export const CHROMIUM_CANDIDATES = ['/usr/lib/chromium/chromium', '/usr/bin/chromium'];

/** The Chromium the browser tests start, or undefined when there is none (or RECURRENT_CHROMIUM is wrong). */
export function findChromium() {
  const override = process.env.RECURRENT_CHROMIUM;
  if (override) return existsSync(override) ? override : undefined;
  return CHROMIUM_CANDIDATES.find((path) => existsSync(path));
}

/** @returns {import('playwright-core').LaunchOptions} */
export function chromiumLaunchOptions(executablePath = findChromium()) {
  return {
    executablePath,
    // Stated although it is playwright's default: Chromium refuses to start as root with a sandbox.
    chromiumSandbox: false,
    args: [
      // Linux Chromium exposes navigator.gpu only behind this switch (and SwiftShader's fallback
      // adapter only with it): without it requestAdapter() resolves to null.
      '--enable-unsafe-webgpu',
    ],
  };
}
