/**
 * A fuzz-style property test: seeded random shapes (B, T, I, H from 1 up), variants (LSTM plain,
 * peephole, coupled, both; GRU reset-before and reset-after; simple RNN tanh and ReLU), random
 * 0/1 masks (rows masked at every step included), reverse, initial states and bias present or
 * not. Each case runs the op and the per-step composite of plain tfjs ops (`testing/composite.ts`,
 * differentiated by tfjs autodiff) on the same backend: the outputs and every input's gradient
 * must agree within SPEC.md's tolerances. A failure names the seed and the case; replay it with
 * `RECURRENT_FUZZ_SEED=<seed> npx vitest run --project node packages/core/src/reliability/fuzz.test.ts`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { ops, type GruOptions, type GruParams, type LstmOptions, type LstmParams, type SimpleRnnOptions, type SimpleRnnParams } from '../ops/index.js';
import {
  buildCall, composite, describeBackends, isGpuBackend, expectGradientsClose, expectNoLeaks, expectOutputsClose, makeCase, mulberry32, runAndRead,
  tensorGradients, tolerances, variantName, withCaseTensors, type Call, type OpCase, type Outputs, type Variant,
} from '../testing/index.js';
import { mat } from '../testing/reference.js';
import { isNode, type BackendName } from '../backend/index.js';

/**
 * 100 cases on cpu and wasm; 20 on webgpu in Node (Dawn on llvmpipe); 3 on webgl and webgpu in
 * Chromium (SwiftShader), where every new shape compiles new shaders: measured 1.8–5 s per case.
 */
const casesOn = (backend: BackendName) => (!isGpuBackend(backend) ? 100 : isNode() ? 20 : 3);
const SEED = Number((globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.RECURRENT_FUZZ_SEED ?? 20261122);

const VARIANTS: Variant[] = [
  { op: 'lstm', peephole: false, coupled: false },
  { op: 'lstm', peephole: true, coupled: false },
  { op: 'lstm', peephole: false, coupled: true },
  { op: 'lstm', peephole: true, coupled: true },
  { op: 'gru', resetAfter: false },
  { op: 'gru', resetAfter: true },
  { op: 'simpleRnn', activation: 'tanh' },
  { op: 'simpleRnn', activation: 'relu' },
];

/** The op under test on a harness call. */
function runOp(variant: Variant): (call: Call<tf.Tensor>) => Outputs<tf.Tensor> {
  switch (variant.op) {
    case 'lstm':
      return (c) => ops.lstm(c.x as tf.Tensor3D, c.params as LstmParams, c.options as LstmOptions);
    case 'gru':
      return (c) => ops.gru(c.x as tf.Tensor3D, c.params as GruParams, c.options as GruOptions);
    case 'simpleRnn':
      return (c) => ops.simpleRnn(c.x as tf.Tensor3D, c.params as SimpleRnnParams, c.options as SimpleRnnOptions);
    default:
      return variant satisfies never;
  }
}

/** Case `k` of the run seeded `seed`: everything drawn from one generator, so the seed replays it. */
function fuzzCase(seed: number, k: number): OpCase {
  const rng = mulberry32((seed + Math.imul(k, 0x9e3779b1)) >>> 0);
  const int = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
  const variant = VARIANTS[int(0, VARIANTS.length - 1)]!;
  const config = {
    batch: int(1, 4), time: int(1, 7), inputSize: int(1, 5), units: int(1, 6),
    initialState: rng() < 0.5, bias: rng() < 0.7, mask: rng() < 0.4, reverse: rng() < 0.5, seed: int(0, 2 ** 31),
  };
  const c = makeCase(variant, config);
  if (config.mask) {
    // Random 0/1 steps; a row masked at every step one time in four.
    const data = new Float64Array(config.batch * config.time);
    for (let b = 0; b < config.batch; b++) {
      const none = rng() < 0.25;
      for (let t = 0; t < config.time; t++) data[b * config.time + t] = none ? 0 : rng() < 0.7 ? 1 : 0;
    }
    c.mask = mat(data, [config.batch, config.time]);
  }
  return c;
}

const describeCase = (c: OpCase) => {
  const { batch, time, inputSize, units } = c.config;
  return `${c.name} · B×T×I×H = ${batch}×${time}×${inputSize}×${units}`;
};

describeBackends('fuzz: ops vs the per-step composite', (backend) => {
  const tol = tolerances(backend);
  const CASES = casesOn(backend);
  it(`${CASES} random cases (seed ${SEED}) agree in outputs and gradients`, async () => {
    const seen = new Set<string>();
    const edges = new Set<string>();
    for (let k = 0; k < CASES; k++) {
      const c = fuzzCase(SEED, k);
      seen.add(variantName(c.variant));
      if (c.config.time === 1) edges.add('T = 1');
      if (c.config.batch === 1) edges.add('B = 1');
      if (c.config.units === 1) edges.add('H = 1');
      const m = c.mask;
      if (m !== undefined) {
        const T = c.config.time;
        for (let b = 0; b < c.config.batch; b++) if (Array.from(m.data.subarray(b * T, (b + 1) * T)).every((v) => v === 0)) edges.add('a row masked at every step');
      }
      try {
        await expectNoLeaks(() => withCaseTensors(c, async (t) => {
          const call = buildCall(c.variant, t.inputs, t.mask, c.config.reverse);
          const op = runOp(c.variant);
          const oracle = composite(c.variant);
          expectOutputsClose(await runAndRead(op, call), await runAndRead(oracle, call), tol.forward);
          expectGradientsClose(await tensorGradients(c, t, op), await tensorGradients(c, t, oracle), tol.gradient);
        }));
      } catch (error) {
        const e = error as Error;
        e.message = `fuzz case ${k} of seed ${SEED} (${describeCase(c)}); replay with RECURRENT_FUZZ_SEED=${SEED}: ${e.message}`;
        throw e;
      }
    }
    if (CASES >= 100) {
      expect(seen.size, 'every variant drawn at least once').toBe(VARIANTS.length);
      expect([...edges].sort(), 'the edge cases drawn').toEqual(['B = 1', 'H = 1', 'T = 1', 'a row masked at every step']);
    }
  });
});
