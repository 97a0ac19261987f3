/**
 * Long runs: memory stays flat over thousands of training steps and a long generation loop on
 * every backend — live tensors, tensor bytes, GPU bytes (webgl textures, webgpu buffers) and, in
 * Node, the process's resident memory — and a T = 10,000 sequence runs forward and backward
 * without a stack overflow, holding memory linear in T.
 *
 * Steps per backend: 2,000 on cpu, 600 on wasm (slower per small kernel: 14 ms a step here); 40 on the software
 * GPUs (SwiftShader in Chromium, Dawn on llvmpipe in Node: 10× slower), where the exact counts
 * still catch any per-step leak. T = 10,000 runs on wasm only, to keep the suite short (the ops'
 * loop is the same code on cpu).
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { ops } from '../ops/index.js';
import { describeBackends, isGpuBackend } from '../testing/index.js';
import { MemoryCheckpointStore } from '../train/checkpoint.js';
import { Rng } from '../train/rng.js';
import { TokenStreams } from '../train/streams.js';
import { tinyLm } from '../train/tasks/tiny-lm.js';
import { Trainer } from '../train/trainer.js';
import { importOptional, isNode } from '../backend/environment.js';
import type { BackendName } from '../backend/index.js';

interface Snapshot {
  tensors: number;
  bytes: number;
  gpuBytes: number | undefined;
  /** Node only, after a full garbage collection: the JS heap in use and the resident set. */
  heap: number | undefined;
  rss: number | undefined;
}

/** Node's `gc()`, exposed at run time (`--expose-gc` through v8 flags); undefined in a browser. */
let gc: (() => void) | undefined;
if (isNode()) {
  const v8 = await importOptional<{ setFlagsFromString(flags: string): void }>('node:v8');
  const vm = await importOptional<{ runInNewContext(code: string): unknown }>('node:vm');
  v8.setFlagsFromString('--expose-gc');
  gc = vm.runInNewContext('gc') as () => void;
}

function snapshot(): Snapshot {
  const m = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number };
  const proc = (globalThis as { process?: { memoryUsage(): { rss: number; heapUsed: number } } }).process;
  let heap: number | undefined;
  let rss: number | undefined;
  if (gc !== undefined && proc !== undefined) {
    gc();
    gc(); // twice: the first can leave weak-referenced garbage for the second
    ({ heapUsed: heap, rss } = proc.memoryUsage());
  }
  return { tensors: m.numTensors, bytes: m.numBytes, gpuBytes: m.numBytesInGPU, heap, rss };
}

/**
 * Tolerances for what tfjs does not count. Measured here after a full GC, 2,000 to 10,000 steps
 * of the training test on cpu: the heap moved by +0.4 MB (200 → 2,000 steps) and +0.1 MB (4,000 →
 * 10,000), RSS by −17 to +3 MB. So 2 MB of heap catches anything retained per step of more than
 * ~1 KB (a closure and a few arrays) over 1,800 steps (~4 KB over wasm's 540); RSS (which includes the wasm heap, and
 * never shrinks there) gets a looser 24 MB, ~13 KB per step. Leaked tensors are caught exactly by
 * the counts.
 */
const HEAP_TOLERANCE = 2 * 2 ** 20;
const RSS_TOLERANCE = 24 * 2 ** 20;

function expectFlat(from: Snapshot, to: Snapshot, what: string): void {
  expect(to.tensors - from.tensors, `${what}: live tensors`).toBe(0);
  expect(to.bytes - from.bytes, `${what}: tensor bytes`).toBe(0);
  if (from.gpuBytes !== undefined) expect(to.gpuBytes! - from.gpuBytes, `${what}: bytes in GPU textures/buffers`).toBe(0);
  if (from.heap !== undefined) expect(to.heap! - from.heap, `${what}: JS heap growth after GC (bytes)`).toBeLessThan(HEAP_TOLERANCE);
  if (from.rss !== undefined) expect(to.rss! - from.rss, `${what}: process RSS growth (bytes)`).toBeLessThan(RSS_TOLERANCE);
}

const stepsOn = (backend: BackendName) => (isGpuBackend(backend) ? 40 : backend === 'wasm' ? 600 : backend === 'tensorflow' ? 300 : 2000);

describeBackends('long runs', (backend) => {
  const steps = stepsOn(backend);
  const warm = Math.max(10, Math.round(steps / 10));

  it(`training: memory flat from step ${warm} to step ${steps} (validation, checkpoints, clipping, dropout on)`, async () => {
    const rng = new Rng(3);
    const ids = Int32Array.from({ length: 1000 }, () => rng.int(8));
    const model = tinyLm({ vocab: 8, embedding: 3, hidden: 6, seed: 1, dropout: 0.1 });
    const every = Math.max(5, Math.round(steps / 4));
    const marks: Snapshot[] = [];
    const trainer = new Trainer({
      model, data: new TokenStreams(ids, { batch: 2, steps: 3 }), steps, seed: 1,
      optimizer: { kind: 'adam' }, learningRate: 0.01, clipNorm: 0.5,
      validation: { data: new TokenStreams(ids.subarray(0, 200), { batch: 2, steps: 4 }), batches: 2, every },
      checkpoints: { store: new MemoryCheckpointStore(), every },
      callbacks: [{ onStep: (m) => void ((m.step === warm || m.step === steps) && marks.push(snapshot())) }],
    });
    const summary = await trainer.run();
    trainer.dispose();
    model.dispose();
    expect(summary.step).toBe(steps);
    expect(marks.length).toBe(2);
    expectFlat(marks[0]!, marks[1]!, `training steps ${warm}→${steps}`);
  });

  it(`generation: memory flat over ${steps} one-character steps carrying the state`, async () => {
    const [I, H] = [8, 32];
    const kernel = tf.randomNormal([I, 4 * H], 0, 0.3, 'float32', 1) as tf.Tensor2D;
    const recurrentKernel = tf.randomNormal([H, 4 * H], 0, 0.3, 'float32', 2) as tf.Tensor2D;
    const bias = tf.zeros([4 * H]) as tf.Tensor1D;
    let h = tf.zeros([1, H]) as tf.Tensor2D;
    let c = tf.zeros([1, H]) as tf.Tensor2D;
    let mark: Snapshot | undefined;
    let token = 0;
    for (let s = 1; s <= steps; s++) {
      const next = tf.tidy(() => {
        const oneHot = new Float32Array(I);
        oneHot[token] = 1;
        const x = tf.tensor3d(oneHot, [1, 1, I]);
        const r = ops.lstm(x, { kernel, recurrentKernel, bias }, { h0: h, c0: c });
        return { h: r.h, c: r.c, logits: tf.sum(r.h) };
      });
      tf.dispose([h, c]);
      h = next.h;
      c = next.c;
      token = Math.abs(Math.floor((await next.logits.data())[0]! * 1000)) % I; // a host read per step, as a sampler does
      next.logits.dispose();
      if (s === warm) mark = snapshot();
    }
    expectFlat(mark!, snapshot(), `generation steps ${warm}→${steps}`);
    tf.dispose([kernel, recurrentKernel, bias, h, c]);
  });

  it.runIf(backend === 'wasm')('T = 10,000: forward and backward without a stack overflow, memory linear in T', async () => {
    const [I, H] = [2, 4];
    const kernel = tf.randomNormal([I, 4 * H], 0, 0.3, 'float32', 1) as tf.Tensor2D;
    const recurrentKernel = tf.randomNormal([H, 4 * H], 0, 0.3, 'float32', 2) as tf.Tensor2D;
    // Bytes held after the forward with the tape on (what the backward will read), and ∂L/∂x.
    const run = async (T: number) => {
      const x = tf.randomNormal([1, T, I], 0, 1, 'float32', 3) as tf.Tensor3D;
      const before = tf.memory().numBytes;
      let held = 0;
      const grads = tf.grads((xx: tf.Tensor, k: tf.Tensor, r: tf.Tensor) => {
        const loss = tf.sum(ops.lstm(xx as tf.Tensor3D, { kernel: k as tf.Tensor2D, recurrentKernel: r as tf.Tensor2D }).sequence) as tf.Scalar;
        held = tf.memory().numBytes - before;
        return loss;
      })([x, kernel, recurrentKernel]);
      const dx = await grads[0]!.data();
      tf.dispose([x, ...grads]);
      return { held, dx };
    };
    const { held: h1 } = await run(1000);
    const { held: h2 } = await run(2000);
    const long = await run(10_000);
    expect(long.dx.length).toBe(10_000 * I);
    expect(long.dx.every(Number.isFinite), 'every ∂L/∂x_t finite').toBe(true);
    expect(Math.abs(long.dx[0]!), 'the gradient reaches t = 0').toBeGreaterThan(0);
    // held(T) = a + b·T: held(10,000) − held(1,000) = 9 · (held(2,000) − held(1,000)), within 5%.
    const perThousand = h2 - h1;
    expect(perThousand).toBeGreaterThan(0);
    expect((long.held - h1) / perThousand).toBeGreaterThan(9 * 0.95);
    expect((long.held - h1) / perThousand).toBeLessThan(9 * 1.05);
    tf.dispose([kernel, recurrentKernel]);
  });
});
