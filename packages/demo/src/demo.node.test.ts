/**
 * End to end: builds the demo with Vite's API into a temporary folder, serves it as static files
 * on 127.0.0.1 (a secure context, so WebGPU is offered), and drives Debian's Chromium through
 * playwright-core with the project's launch options (`scripts/chromium.js`): generate on webgl,
 * switch to webgpu and generate again, go offline and switch to wasm, check every character is in
 * the model's vocabulary and the visualisation traced them, save a screenshot; a missing or a
 * truncated model ends in the error box, not a blank page; a browser without WebGPU is told so.
 * Skipped, saying why, without Chromium.
 *
 * `DEMO_MEASURE=N` (e.g. 1000) also measures generation speed on every backend over N characters
 * and prints a table (the README's figures); off by default to keep the suite short.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface Shared {
  chromiumLaunchOptions(): import('playwright-core').LaunchOptions;
  serveFiles(locate: (path: string) => [string, string] | undefined): Promise<{ server: Server; url: string }>;
}
const shared = (await import(new URL('../../../scripts/chromium.js', import.meta.url).href)) as Shared;
const launchOptions = shared.chromiumLaunchOptions();
const chromium = launchOptions.executablePath;

const demoRoot = fileURLToPath(new URL('..', import.meta.url));
const outputDir = join(demoRoot, 'test-output');
/** The built page on 127.0.0.1 (scripts/chromium.js). */
const serve = (dir: string) => shared.serveFiles((path) => [dir, path === '/' ? 'index.html' : path.slice(1)]);

/** Generates `length` characters on the active backend; returns the text and the chars/s shown. */
async function generate(page: Page, length: number): Promise<{ text: string; cps: number }> {
  await page.fill('#length', String(length));
  await page.click('#generate');
  await page.waitForFunction(() => document.body.dataset.running === 'false' && (document.getElementById('output-text')?.textContent ?? '').length > 0, undefined, { timeout: 60_000 });
  const text = (await page.textContent('#output-text')) ?? '';
  const cps = Number(await page.getAttribute('#speed', 'data-cps'));
  return { text, cps };
}

async function switchTo(page: Page, name: string): Promise<void> {
  await page.selectOption('#backend', name);
  await page.waitForFunction((n) => document.body.dataset.backend === n && document.body.dataset.state === 'ready', name, { timeout: 60_000 });
}

describe.skipIf(chromium === undefined)(`demo page in Chromium${chromium === undefined ? ' (SKIPPED: no Chromium at /usr/lib/chromium/chromium or /usr/bin/chromium; install Debian\'s chromium or set RECURRENT_CHROMIUM)' : ''}`, () => {
  let dist = '';
  let server: Server | undefined;
  let url = '';
  let browser: Browser | undefined;
  let vocabulary: Set<string>;
  const log: string[] = [];

  beforeAll(async () => {
    dist = await mkdtemp(join(tmpdir(), 'recurrent-demo-'));
    const vite = await import('vite');
    const t0 = performance.now();
    await vite.build({ root: demoRoot, configFile: join(demoRoot, 'vite.config.ts'), logLevel: 'error', build: { outDir: dist, emptyOutDir: true } });
    console.log(`[demo e2e] page built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    vocabulary = new Set((JSON.parse(await readFile(join(dist, 'model/model.json'), 'utf8')) as { vocabulary: string[] }).vocabulary);
    ({ server, url } = await serve(dist));
    const { chromium: pw } = await import('playwright-core');
    browser = await pw.launch(launchOptions);
    console.log(`[demo e2e] Chromium ${browser.version()} on ${url}`);
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
    if (dist) await rm(dist, { recursive: true, force: true });
  });

  async function open(query: string, prepare?: (page: Page) => Promise<void>): Promise<Page> {
    const context = await browser!.newContext({ viewport: { width: 1200, height: 1100 } });
    const page = await context.newPage();
    await prepare?.(page);
    page.on('pageerror', (e) => log.push(`[page error] ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') log.push(`[console] ${m.text()}`);
    });
    await page.goto(`${url}${query}`);
    await page.waitForFunction(() => document.body.dataset.state === 'ready' || document.body.dataset.state === 'error', undefined, { timeout: 60_000 });
    return page;
  }

  it('writes on webgl, switches to webgpu, then offline to wasm, from the vocabulary; shows the trace', async () => {
    const page = await open('?backend=webgl');
    expect(await page.getAttribute('body', 'data-state'), `${await page.textContent('#error')}\n${log.join('\n')}`).toBe('ready');
    expect(await page.getAttribute('body', 'data-backend')).toBe('webgl');
    expect(await page.textContent('#active-backend')).toMatch(/webgl: WebGL2/);

    const inVocab = (text: string) => Array.from(text).filter((c) => !vocabulary.has(c));
    const webgl = await generate(page, 80);
    expect(Array.from(webgl.text)).toHaveLength(80);
    expect(inVocab(webgl.text)).toEqual([]);
    expect(webgl.cps).toBeGreaterThan(0);

    await switchTo(page, 'webgpu');
    expect(await page.textContent('#active-backend')).toMatch(/webgpu: WebGPU/);
    // Fewer characters: WebGPU on SwiftShader writes about 4 chars/s while its shaders compile.
    const webgpu = await generate(page, 30);
    expect(Array.from(webgpu.text)).toHaveLength(30);
    expect(inVocab(webgpu.text)).toEqual([]);

    // Offline once loaded: no request is needed to switch backends and write.
    await page.context().setOffline(true);
    await switchTo(page, 'wasm');
    await page.fill('#length', '40');
    await page.click('#continue');
    await page.waitForFunction(() => document.body.dataset.running === 'false' && (document.getElementById('output-text')?.textContent ?? '').length >= 70, undefined, { timeout: 60_000 });
    const continued = (await page.textContent('#output-text')) ?? '';
    expect(continued.startsWith(webgpu.text)).toBe(true);
    expect(Array.from(continued)).toHaveLength(70);
    expect(inVocab(continued)).toEqual([]);

    // The visualisation traced the priming text and every generated character.
    await page.waitForFunction((n) => document.querySelectorAll('#viz-view span').length === n, Array.from('ROMEO:\n').length + 70, { timeout: 10_000 });
    await page.hover('#viz-view span[data-k="3"]');
    const probs = await page.$$eval('#viz-candidates tr', (rows) => rows.map((r) => Number((r as HTMLElement).dataset.p)));
    expect(probs).toHaveLength(5);
    for (let i = 1; i < probs.length; i++) expect(probs[i]!).toBeLessThanOrEqual(probs[i - 1]!);
    expect(probs.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1 + 1e-6);
    expect(await page.textContent('#error')).toBe('');

    await mkdir(outputDir, { recursive: true });
    await page.screenshot({ path: join(outputDir, 'demo.png'), fullPage: true });
    // Typed text is traced too.
    const typed = 'To be, or not to be';
    await page.selectOption('#viz-source', 'typed');
    await page.fill('#viz-typed', typed);
    await page.waitForFunction((n) => document.querySelectorAll('#viz-view span').length === n, typed.length, { timeout: 10_000 });
    expect(await page.$$eval('#viz-view span', (spans) => spans.map((x) => x.textContent).join(''))).toBe(typed.replace(/ /g, '\u00a0'));
    console.log(`[demo e2e] chars/s: webgl ${webgl.cps.toFixed(1)}, webgpu ${webgpu.cps.toFixed(1)} (80 and 30 characters, cold); screenshot ${join(outputDir, 'demo.png')}`);
    await page.context().close();
  }, 120_000);

  it('shows what to do when the model is missing (HTTP 404), not a blank page', async () => {
    const page = await open('?model=missing/model.json');
    expect(await page.getAttribute('body', 'data-state')).toBe('error');
    const error = (await page.textContent('#error')) ?? '';
    expect(await page.isVisible('#error')).toBe(true);
    expect(error).toMatch(/The model could not be loaded/);
    expect(error).toMatch(/missing\/model\.json answered HTTP 404/);
    expect(error).toMatch(/What to do:.*node packages\/demo\/scripts\/model\.mjs/s);
    await page.context().close();
  }, 60_000);

  it('refuses a truncated weights file, saying so, and keeps the page', async () => {
    const page = await open('', async (p) => {
      await p.route('**/model/weights.bin', async (route) => {
        const body = await (await route.fetch()).body();
        await route.fulfill({ status: 200, body: body.subarray(0, body.length >> 1), contentType: 'application/octet-stream' });
      });
    });
    expect(await page.getAttribute('body', 'data-state')).toBe('error');
    const error = (await page.textContent('#error')) ?? '';
    expect(error).toMatch(/weights\.bin has \d+ bytes, .*model\.json expects \d+; the file is truncated/);
    expect(error).toMatch(/What to do:.*Export them again/s);
    await page.context().close();
  }, 60_000);

  it('without WebGPU, says so and starts on another backend', async () => {
    const page = await open('', async (p) => {
      await p.addInitScript(() => delete (Navigator.prototype as { gpu?: unknown }).gpu);
    });
    expect(await page.getAttribute('body', 'data-state')).toBe('ready');
    expect(await page.isVisible('#backend-note')).toBe(true);
    expect(await page.textContent('#backend-note')).toMatch(/WebGPU is not available here \(this browser has no WebGPU/);
    expect(await page.$eval('#backend option[value="webgpu"]', (o) => (o as HTMLOptionElement).disabled)).toBe(true);
    expect(await page.getAttribute('body', 'data-backend')).not.toBe('webgpu');
    expect((await generate(page, 10)).text).toHaveLength(10);
    await page.context().close();
  }, 60_000);

  const measure = Number(process.env.DEMO_MEASURE ?? 0);
  it.runIf(measure > 0)(`measures chars/s per backend over ${measure} characters (DEMO_MEASURE)`, async () => {
    const page = await open('');
    const rows: string[] = [];
    for (const name of ['webgpu', 'webgl', 'wasm', 'cpu']) {
      await switchTo(page, name);
      await generate(page, 50); // warm-up: shader compilation, first allocations
      const runs = [];
      for (let r = 0; r < 3; r++) runs.push((await generate(page, measure)).cps);
      runs.sort((a, b) => a - b);
      rows.push(`| ${name} | ${runs[1]!.toFixed(1)} | ${runs.map((x) => x.toFixed(1)).join(', ')} |`);
      console.log(`[demo measure] ${name}: median ${runs[1]!.toFixed(1)} chars/s of ${runs.map((x) => x.toFixed(1)).join(', ')}`);
    }
    console.log(`| backend | chars/s (median of 3) | runs |\n|---|---|---|\n${rows.join('\n')}\n${await page.textContent('#active-backend')}`);
    await page.context().close();
  }, 600_000);
});
