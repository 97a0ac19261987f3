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
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

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

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json', '.map': 'application/json' };

/**
 * Serves files to the browser on 127.0.0.1 (a secure context, so pages are offered WebGPU), on a
 * free port. `locate(path)` maps a URL path to [folder, file relative to it], or to undefined for
 * an empty 204 answer; a file outside its folder is refused (403), a missing one is 404.
 * @param {(path: string) => [string, string] | undefined} locate
 * @param {Record<string, string>} [headers] added to every file served
 * @returns {Promise<{ server: import('node:http').Server, url: string }>}
 */
export async function serveFiles(locate, headers = {}) {
  const server = createServer((req, res) => {
    const where = locate(decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname));
    if (where === undefined) return void res.writeHead(204).end();
    const [dir, rel] = where;
    const file = normalize(join(dir, rel));
    if (!file.startsWith(dir + sep)) return void res.writeHead(403).end();
    readFile(file).then(
      (body) => res.writeHead(200, { 'content-type': TYPES[/** @type {keyof TYPES} */ (extname(file))] ?? 'application/octet-stream', ...headers }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(undefined));
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the page server has no TCP address');
  return { server, url: `http://127.0.0.1:${address.port}/` };
}
