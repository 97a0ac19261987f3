/**
 * Browser rows: bundles the bench page (Vite, from the TypeScript sources, so the page runs the
 * same code as the Node rows), serves it on 127.0.0.1, starts Debian's Chromium through
 * playwright-core with the project's shared launch options (`scripts/chromium.js`), runs each
 * request in a fresh page and collects the JSON. Anything that keeps Chromium from running turns
 * into a reason on the rows, not a failed run.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, LaunchOptions } from 'playwright-core';
import type { Log } from '../measure.js';
import type { BackendRequest, BackendResponse } from '../types.js';
import { LOG, RUN, WASM_PATH, type BenchWindow } from './protocol.js';

/** The part of `scripts/chromium.js` the bench relies on. */
interface SharedChromium {
  /** Launch options with `executablePath` set to the Chromium found, or undefined when none is. */
  chromiumLaunchOptions(): LaunchOptions;
  /** A static file server on 127.0.0.1 (a secure context), on a free port. */
  serveFiles(locate: (path: string) => [string, string] | undefined, headers?: Record<string, string>): Promise<{ server: Server; url: string }>;
}

/** The project's one Chromium launch recipe (same file from src/browser and dist/browser). */
async function sharedChromium(): Promise<SharedChromium> {
  const url = new URL('../../../../scripts/chromium.js', import.meta.url);
  return (await import(url.href)) as SharedChromium;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Bundles `src/browser/index.html` + `page.ts` into a temporary folder. */
async function bundlePage(log: Log): Promise<string> {
  const root = fileURLToPath(new URL('../../src/browser/', import.meta.url));
  const outDir = await mkdtemp(join(tmpdir(), 'recurrent-bench-page-'));
  const t0 = performance.now();
  const vite = await import('vite');
  await vite.build({
    root,
    configFile: false,
    logLevel: 'error', // not the notes on tfjs' dynamic imports that cannot be split
    base: './',
    // Workspace packages from their TypeScript sources, as the test suite runs them.
    resolve: { conditions: ['@recurrent/source', ...vite.defaultClientConditions] },
    build: { outDir, emptyOutDir: true, target: 'es2022', minify: false, reportCompressedSize: false, chunkSizeWarningLimit: 1e5 },
  });
  log(`chromium: bench page bundled in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return outDir;
}

/** The headers that make a page cross-origin isolated (`crossOriginIsolated === true`). */
export const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' } as const;

/**
 * Serves the bundle and the wasm binaries, cross-origin isolated: COOP + COEP give the page
 * SharedArrayBuffer, which threaded wasm needs.
 */
function serve(shared: SharedChromium, pageDir: string): Promise<{ server: Server; url: string }> {
  const wasmDir = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
  return shared.serveFiles((path) => {
    if (path === '/favicon.ico') return undefined;
    return path.startsWith(WASM_PATH) ? [wasmDir, path.slice(WASM_PATH.length)] : [pageDir, path === '/' ? 'index.html' : path.slice(1)];
  }, ISOLATION);
}

function failAll(requests: BackendRequest[], reason: string): BackendResponse[] {
  return requests.map((r) => ({ backend: r.backend, error: reason, rows: [], memory: [] }));
}

/**
 * Runs each request in its own Chromium page (a fresh tfjs, a fresh backend) and returns the
 * answers in order. Never throws: a Chromium that cannot start answers every request with why.
 */
export async function runInChromium(requests: BackendRequest[], log: Log): Promise<BackendResponse[]> {
  if (requests.length === 0) return [];
  let shared: SharedChromium;
  try {
    shared = await sharedChromium();
  } catch (error) {
    return failAll(requests, `could not load scripts/chromium.js: ${message(error)}`);
  }
  const options = shared.chromiumLaunchOptions();
  if (options.executablePath === undefined || !existsSync(options.executablePath)) {
    const where = options.executablePath ?? 'any of the paths scripts/chromium.js knows';
    return failAll(requests, `no Chromium at ${where} (install Debian's chromium: sudo node scripts/ensure-system.mjs, or set RECURRENT_CHROMIUM)`);
  }
  let pageDir: string | undefined;
  let server: Server | undefined;
  let browser: Browser | undefined;
  try {
    pageDir = await bundlePage(log);
    const served = await serve(shared, pageDir);
    server = served.server;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch(options);
    log(`chromium: ${browser.version()} serving ${served.url}`);
    const out: BackendResponse[] = [];
    for (const request of requests) out.push(await runPage(browser, served.url, request, log));
    return out;
  } catch (error) {
    return failAll(requests, `Chromium could not run the bench page: ${message(error)}`);
  } finally {
    await browser?.close().catch(() => undefined);
    if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
    if (pageDir) await rm(pageDir, { recursive: true, force: true });
  }
}

async function runPage(browser: Browser, url: string, request: BackendRequest, log: Log): Promise<BackendResponse> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    page.on('pageerror', (error) => log(`  [page error] ${error.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') log(`  [page console] ${msg.text()}`);
    });
    await page.exposeFunction(LOG, (line: string) => log(line));
    await page.goto(url);
    await page.waitForFunction((name) => typeof (window as unknown as Record<string, unknown>)[name] === 'function', RUN, { timeout: 60_000 });
    return await page.evaluate((req) => {
      const run = (window as unknown as BenchWindow).recurrentBench;
      if (run === undefined) throw new Error('the bench page did not load');
      return run(req);
    }, request);
  } catch (error) {
    return { backend: request.backend, error: `the bench page failed: ${message(error)}`, rows: [], memory: [] };
  } finally {
    await context.close().catch(() => undefined);
  }
}
