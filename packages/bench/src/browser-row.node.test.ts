/**
 * A browser backend row produced by the CLI's own path: `main()` bundles the bench page, serves
 * it on 127.0.0.1, starts Chromium with the project's launch options and measures webgl there at
 * a tiny shape. Skipped, saying why, on a machine without Chromium.
 */
import { describe, expect, it } from 'vitest';
import { main } from './main.js';

interface Shared {
  chromiumLaunchOptions(): { executablePath?: string };
}
const shared = (await import(new URL('../../../scripts/chromium.js', import.meta.url).href)) as Shared;
const chromium = shared.chromiumLaunchOptions().executablePath;

describe.skipIf(chromium === undefined)(`recurrent-bench in Chromium${chromium === undefined ? ' (skipped: no Chromium installed)' : ''}`, () => {
  it('measures ops.lstm and tf.layers.lstm on webgl in the page, and on 2-thread wasm (the page is cross-origin isolated)', async () => {
    const progress: string[] = [];
    const report = await main(
      ['--backend', 'webgl,chromium:wasm', '--wasm-threads', '2', '--cell', 'lstm', '--mode', 'training', '--batch', '2', '--time', '3', '--inputs', '2', '--hidden', '4', '--classes', '3', '--reps', '1', '--warmup', '0'],
      { out: () => undefined, progress: (l) => progress.push(l) },
    );
    const [row] = report!.rows;
    expect(row?.error, progress.join('\n')).toBeUndefined();
    expect(row!.environment).toBe('chromium');
    expect(row!.backend).toBe('webgl');
    expect(row!.device).toMatch(/^WebGL/);
    for (const r of [row!.ours!, row!.layers!]) {
      expect(r.medianMs).toBeGreaterThan(0);
      expect(r.tokensPerSecond).toBeGreaterThan(0);
      expect(r.gflops).toBeGreaterThan(0);
      expect(r.kernelsPerTimeStep).toBeGreaterThan(0);
    }
    expect(row!.speedup).toBeGreaterThan(0);
    expect(row!.matMul!.limitGflops).toBeGreaterThan(0);
    // tfjs' own threaded loader, with the project's thread count: only under COOP + COEP.
    const wasm = report!.rows[1];
    expect(wasm?.error, progress.join('\n')).toBeUndefined();
    expect(wasm!.environment).toBe('chromium');
    expect(wasm!.variant).toBe('2 threads, fixed kernels');
    expect(wasm!.device).toMatch(/WebAssembly \(XNNPACK, SIMD, 2 threads, fixed kernels\)/);
    expect(wasm!.ours!.medianMs).toBeGreaterThan(0);
  }, 120_000);
});
