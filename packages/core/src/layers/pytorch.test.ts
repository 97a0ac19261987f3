/**
 * The PyTorch converter against PyTorch's own equations (torch.nn.LSTM / GRU / RNN docs),
 * transcribed here in float64 in PyTorch's layout and gate order (i, f, g, o; r, z, n; W·x),
 * sharing nothing with our Keras-layout code: random state dicts run through the converter and our
 * layers must reproduce them, including a 2-layer bidirectional stack (PyTorch concatenates the
 * directions). One backend per environment (the layers' backends are covered elsewhere).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { describeBackends, mulberry32, tolerances } from '../testing/index.js';
import { layers, pytorch, type StateDictEntry } from './index.js';

const [B, T, I, H] = [2, 4, 3, 3];
type Kind = 'lstm' | 'gru' | 'rnn';
const G = { lstm: 4, gru: 3, rnn: 1 };
const sig = (a: number) => 1 / (1 + Math.exp(-a));

function randomState(kind: Kind, numLayers: number, bidirectional: boolean, seed: number): Record<string, { shape: number[]; data: Float64Array }> {
  const rng = mulberry32(seed);
  const r = (n: number) => Float64Array.from({ length: n }, () => rng() - 0.5);
  const state: Record<string, { shape: number[]; data: Float64Array }> = {};
  for (let l = 0; l < numLayers; l++) {
    for (const s of bidirectional ? ['', '_reverse'] : ['']) {
      const inSize = l === 0 ? I : H * (bidirectional ? 2 : 1);
      state[`weight_ih_l${l}${s}`] = { shape: [G[kind] * H, inSize], data: r(G[kind] * H * inSize) };
      state[`weight_hh_l${l}${s}`] = { shape: [G[kind] * H, H], data: r(G[kind] * H * H) };
      state[`bias_ih_l${l}${s}`] = { shape: [G[kind] * H], data: r(G[kind] * H) };
      state[`bias_hh_l${l}${s}`] = { shape: [G[kind] * H], data: r(G[kind] * H) };
    }
  }
  return state;
}

/** W [rows, cols] (row-major) · v. */
const mv = (W: Float64Array, v: number[], rows: number) => Array.from({ length: rows }, (_, i) => v.reduce((acc, x, j) => acc + W[i * v.length + j]! * x, 0));

/** One direction of one PyTorch layer over x [B][T][in] → [B][T][H] (outputs at their input positions). */
function torchLayer(kind: Kind, x: number[][][], st: ReturnType<typeof randomState>, suffix: string, reverse: boolean, relu = false): number[][][] {
  const [wih, whh, bih, bhh] = ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'].map((n) => st[`${n}${suffix}`]!.data);
  return x.map((seq) => {
    let h = new Array<number>(H).fill(0);
    let c = new Array<number>(H).fill(0);
    const out: number[][] = new Array(seq.length);
    for (let n = 0; n < seq.length; n++) {
      const t = reverse ? seq.length - 1 - n : n;
      const gi = mv(wih!, seq[t]!, G[kind] * H).map((v, k) => v + bih![k]!);
      const gh = mv(whh!, h, G[kind] * H).map((v, k) => v + bhh![k]!);
      const at = (a: number[], g: number, j: number) => a[g * H + j]!;
      if (kind === 'lstm') {
        const gate = (g: number, j: number) => at(gi, g, j) + at(gh, g, j);
        c = c.map((cj, j) => sig(gate(1, j)) * cj + sig(gate(0, j)) * Math.tanh(gate(2, j)));
        h = c.map((cj, j) => sig(gate(3, j)) * Math.tanh(cj));
      } else if (kind === 'gru') {
        h = h.map((hj, j) => {
          const rr = sig(at(gi, 0, j) + at(gh, 0, j));
          const z = sig(at(gi, 1, j) + at(gh, 1, j));
          const nn = Math.tanh(at(gi, 2, j) + rr * at(gh, 2, j));
          return (1 - z) * nn + z * hj;
        });
      } else {
        h = h.map((_, j) => (relu ? Math.max(0, gi[j]! + gh[j]!) : Math.tanh(gi[j]! + gh[j]!)));
      }
      out[t] = h;
    }
    return out;
  });
}

function toState(st: ReturnType<typeof randomState>): Record<string, StateDictEntry> {
  return Object.fromEntries(Object.entries(st).map(([k, v]) => [k, { shape: v.shape, data: v.data }]));
}

describeBackends('pytorch weight converter', (backend) => {
  const tol = tolerances(backend).forward;
  const rng = mulberry32(99);
  const xs = Array.from({ length: B }, () => Array.from({ length: T }, () => Array.from({ length: I }, () => rng() * 2 - 1)));
  const x = () => tf.tensor3d(xs);

  describe.each([['lstm'], ['gru'], ['rnn']] as [Kind][])('%s', (kind) => {
    it('one layer: our layer with converted weights = PyTorch equations', async () => {
      const st = randomState(kind, 1, false, 1);
      const relu = kind === 'rnn';
      const layer = kind === 'lstm' ? layers.lstm({ units: H, returnSequences: true })
        : kind === 'gru' ? layers.gru({ units: H, returnSequences: true, resetAfter: true })
          : layers.simpleRnn({ units: H, returnSequences: true, activation: 'relu' });
      const xt = x();
      tf.dispose(layer.apply(xt) as tf.Tensor);
      const weights = pytorch.toKerasWeights(kind, toState(st));
      layer.setWeights(weights);
      const y = layer.apply(xt) as tf.Tensor;
      expect(await y.data()).toHaveRelativeError(torchLayer(kind, xs, st, '_l0', false, relu).flat(2), tol);
      tf.dispose([xt, y, ...weights]);
      layer.dispose();
    });

    it('two layers, bidirectional: = layers.stacked(kind, { numLayers: 2, bidirectional: "concat" })', async () => {
      const st = randomState(kind, 2, true, 2);
      const stackKind = kind === 'rnn' ? 'simpleRnn' : kind;
      const stack = layers.stacked(stackKind, { units: H, numLayers: 2, bidirectional: 'concat', returnSequences: true });
      const xt = x();
      tf.dispose(stack.apply(xt) as tf.Tensor);
      const weights = pytorch.toKerasWeights(kind, toState(st), { numLayers: 2, bidirectional: true });
      stack.setWeights(weights);
      const y = stack.apply(xt) as tf.Tensor;
      const layer = (input: number[][][], l: number) => {
        const f = torchLayer(kind, input, st, `_l${l}`, false);
        const b = torchLayer(kind, input, st, `_l${l}_reverse`, true);
        return f.map((seq, i) => seq.map((hf, t) => [...hf, ...b[i]![t]!]));
      };
      expect(await y.data()).toHaveRelativeError(layer(layer(xs, 0), 1).flat(2), tol);
      tf.dispose([xt, y, ...weights]);
      stack.dispose();
    });

    it('round trip back to a state dict (LSTM / RNN: the biases come back summed)', async () => {
      const st = randomState(kind, 1, false, 3);
      const weights = pytorch.toKerasWeights(kind, toState(st));
      const back = pytorch.fromKerasWeights(kind, weights);
      expect(await back.weight_ih_l0!.data()).toBeAllClose(st.weight_ih_l0!.data, { rtol: 1e-6, atol: 1e-7 });
      expect(await back.weight_hh_l0!.data()).toBeAllClose(st.weight_hh_l0!.data, { rtol: 1e-6, atol: 1e-7 });
      const sum = (d: ArrayLike<number>, e: ArrayLike<number>) => Array.from(d, (v, k) => v + e[k]!);
      const gotSum = sum(await back.bias_ih_l0!.data(), await back.bias_hh_l0!.data());
      expect(gotSum).toBeAllClose(sum(st.bias_ih_l0!.data, st.bias_hh_l0!.data), { rtol: 1e-6, atol: 1e-7 });
      if (kind === 'gru') expect(await back.bias_hh_l0!.data()).toBeAllClose(st.bias_hh_l0!.data, { rtol: 1e-6, atol: 1e-7 });
      tf.dispose([...weights, ...Object.values(back)]);
    });
  });

  it('refuses shapes that do not fit, naming the entry', () => {
    const st = toState(randomState('lstm', 1, false, 4));
    expect(() => pytorch.toKerasWeights('gru', st)).toThrow(/weight_hh_l0 is \[12, 3\]; a gru with hidden_size 3 has \[9, 3\]/);
    expect(() => pytorch.toKerasWeights('lstm', st, { numLayers: 2 })).toThrow(/missing "weight_ih_l1"/);
  });
}, { only: ['cpu', 'webgl'] }); // one backend per environment: cpu in Node, webgl in the browser
