/** The backend door's refusals and reports in Node. */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { availableBackends, bestBackend, useBackend, type BackendName } from './index.js';
import { isSoftwareRenderer } from './loaders.js';

describe('backend door in Node', () => {
  it('reports every known backend, with a reason for each one that cannot run', async () => {
    const reports = await availableBackends();
    expect(reports.map((r) => r.name)).toEqual(['cpu', 'wasm', 'webgl', 'webgpu', 'tensorflow']);
    for (const r of reports) {
      expect(r.environment).toBe('node');
      if (!r.available) expect(r.reason, `${r.name} has no reason`).toMatch(/\w{4,}/);
    }
    expect(reports.find((r) => r.name === 'cpu')?.available).toBe(true);
    const wasm = reports.find((r) => r.name === 'wasm');
    expect(wasm?.available).toBe(true);
    expect(wasm?.wasm?.simd).toBe(true);
    expect(wasm?.wasm?.threads).toBeGreaterThanOrEqual(1);
    expect(reports.find((r) => r.name === 'webgl')?.reason).toMatch(/browser/);
  });

  it('refuses webgl in Node with a clear error naming what is available', async () => {
    const before = tf.getBackend();
    await expect(useBackend('webgl')).rejects.toThrow(/useBackend: "webgl" is not available here \(.*browser.*\)\. Available: cpu, wasm/);
    expect(tf.getBackend()).toBe(before);
  });

  it('refuses tensorflow when tfjs-node is not installed, saying how to install it', async () => {
    const tensorflow = (await availableBackends()).find((r) => r.name === 'tensorflow');
    if (tensorflow?.available) return; // a machine with tfjs-node: nothing to refuse
    await expect(useBackend('tensorflow')).rejects.toThrow(
      /"tensorflow" is not available here \(.*tfjs-node-gpu is not installed.*tfjs-node is not installed.*pnpm add @tensorflow\/tfjs-node.*\)\. Available: cpu, wasm/,
    );
  });

  it('rejects unknown names', async () => {
    await expect(useBackend('cuda' as BackendName)).rejects.toThrow(/unknown backend "cuda"; expected one of cpu, wasm, webgl, webgpu, tensorflow/);
  });

  it('picks the best available backend', async () => {
    const best = await bestBackend();
    const available = (await availableBackends()).filter((r) => r.available).map((r) => r.name);
    expect(available).toContain(best);
    // Node preference: tensorflow, then webgpu on real hardware, then wasm; a software GPU last.
    const reports = await availableBackends();
    const hardware = (n: BackendName) => reports.find((r) => r.name === n && r.available && !r.software) !== undefined;
    const order: BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];
    expect(best).toBe(order.find(hardware));
  });

  it('recognises software renderers', () => {
    expect(isSoftwareRenderer('WebGPU (Dawn in Node): llvmpipe-llvm-15-0-6-256-bits- OpenGL ES 3.2 Mesa 22.3.6')).toBe(true);
    expect(isSoftwareRenderer('WebGL2: ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)), SwiftShader driver)')).toBe(true);
    expect(isSoftwareRenderer('WebGPU: nvidia ampere NVIDIA GeForce RTX 3080')).toBe(false);
  });
});
