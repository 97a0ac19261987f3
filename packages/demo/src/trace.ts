/**
 * The model made visible: the character model's forward pass recomputed on the host, one
 * character at a time, keeping what the fused tfjs ops never materialise — every gate, the cell
 * and hidden state of every layer, and the next-character distribution — as Karpathy's
 * "Visualizing and Understanding Recurrent Networks" colours text by one cell's value.
 *
 * Same equations and Keras layouts as `ops.lstm` / `ops.gru` / `ops.simpleRnn` (gate blocks
 * i, f, ĉ, o / z, r, ĥ), float64 accumulation over the float32 weights:
 *
 *   LSTM: i, f, o = σ(·), ĉ = tanh(x W + h U + b);  c' = f ⊙ c + i ⊙ ĉ;  h' = o ⊙ tanh(c')
 *   GRU (reset-before): z, r = σ(·); ĥ = tanh(x W_h + (r ⊙ h) U_h + b_h);  h' = z ⊙ h + (1 − z) ⊙ ĥ
 *   RNN: h' = tanh(x W + h U + b)
 *   p(next) = softmax(h'ᴸ W_head + b_head)
 *
 * Independent of the tfjs backend the text is generated on; about 4·H·(E + 2H) multiply-adds a
 * character (0.3 M for the demo's LSTM-256), a fraction of a millisecond.
 */
import type { HostCharModel } from '@recurrent/models';

/** What the view can colour a character by, per cell type. */
export const QUANTITIES = {
  lstm: ['c', 'h', 'i', 'f', 'g', 'o'],
  gru: ['h', 'z', 'r', 'g'],
  rnn: ['h'],
} as const;
export type Quantity = 'c' | 'h' | 'i' | 'f' | 'g' | 'o' | 'z' | 'r';

/** Readable names of the quantities. */
export const QUANTITY_NAMES: Record<Quantity, string> = {
  c: 'cell state c',
  h: 'hidden state h',
  i: 'input gate i',
  f: 'forget gate f',
  g: 'candidate (ĉ / ĥ)',
  o: 'output gate o',
  z: 'update gate z',
  r: 'reset gate r',
};

/** One layer after one character: every quantity of `QUANTITIES[cell]`, each [H]. */
export type LayerTrace = Partial<Record<Quantity, Float32Array>>;

/** The model after reading one character. */
export interface TraceStep {
  char: string;
  id: number;
  layers: LayerTrace[];
  /** p(next character) at temperature 1, [V]. */
  next: Float32Array;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

interface Mat {
  rows: number;
  cols: number;
  v: Float32Array;
}

/** y[j] += Σ_i x[i] · M[i, j] (row-major M). */
function addMatVec(y: Float64Array, x: ArrayLike<number>, m: Mat): void {
  for (let i = 0; i < m.rows; i++) {
    const xi = x[i]!;
    if (xi === 0) continue;
    const row = i * m.cols;
    for (let j = 0; j < m.cols; j++) y[j]! += xi * m.v[row + j]!;
  }
}

/** A stateful host re-computation of the model, one character per {@link step}. */
export class Tracer {
  private readonly mats = new Map<string, Mat>();
  private state: { h: Float64Array; c: Float64Array }[] = [];

  constructor(readonly host: HostCharModel) {
    for (const [name, t] of host.weights) this.mats.set(name, { rows: t.shape.length === 2 ? t.shape[0]! : 1, cols: t.shape[t.shape.length - 1]!, v: t.values });
    this.reset();
  }

  /** Back to the zero state, as a new generator starts. */
  reset(): void {
    const H = this.host.config.hidden;
    this.state = Array.from({ length: this.host.config.layers }, () => ({ h: new Float64Array(H), c: new Float64Array(H) }));
  }

  private mat(name: string): Mat {
    const m = this.mats.get(name);
    if (m === undefined) throw new Error(`Tracer: the model has no tensor "${name}"`);
    return m;
  }

  /** Reads character id `id` and returns everything the model computed for it. */
  step(id: number): TraceStep {
    const { hidden: H, cell, vocabSize: V } = this.host.config;
    const embed = this.mat('embed');
    let x: ArrayLike<number> = embed.v.subarray(id * embed.cols, (id + 1) * embed.cols);
    const layers: LayerTrace[] = [];
    this.state.forEach((s, l) => {
      const W = this.mat(`l${l}.kernel`);
      const U = this.mat(`l${l}.recurrentKernel`);
      const b = this.mat(`l${l}.bias`).v;
      const a = Float64Array.from(b);
      addMatVec(a, x, W);
      const out: LayerTrace = {};
      if (cell === 'lstm') {
        addMatVec(a, s.h, U);
        const [i, f, g, o, c, h] = Array.from({ length: 6 }, () => new Float32Array(H));
        for (let j = 0; j < H; j++) {
          i![j] = sigmoid(a[j]!);
          f![j] = sigmoid(a[H + j]!);
          g![j] = Math.tanh(a[2 * H + j]!);
          o![j] = sigmoid(a[3 * H + j]!);
          s.c[j] = f![j]! * s.c[j]! + i![j]! * g![j]!;
          s.h[j] = o![j]! * Math.tanh(s.c[j]!);
          c![j] = s.c[j]!;
          h![j] = s.h[j]!;
        }
        Object.assign(out, { i, f, g, o, c, h });
      } else if (cell === 'gru') {
        // z and r from h·U; the candidate's recurrent term from (r ⊙ h)·U_h.
        const hu = new Float64Array(3 * H);
        addMatVec(hu, s.h, U);
        const [z, r, g, h] = Array.from({ length: 4 }, () => new Float32Array(H));
        for (let j = 0; j < H; j++) {
          z![j] = sigmoid(a[j]! + hu[j]!);
          r![j] = sigmoid(a[H + j]! + hu[H + j]!);
        }
        const rh = Float64Array.from(s.h, (v, j) => r![j]! * v);
        const cand = new Float64Array(H);
        for (let i = 0; i < H; i++) {
          if (rh[i] === 0) continue;
          for (let j = 0; j < H; j++) cand[j]! += rh[i]! * U.v[i * 3 * H + 2 * H + j]!;
        }
        for (let j = 0; j < H; j++) {
          g![j] = Math.tanh(a[2 * H + j]! + cand[j]!);
          s.h[j] = z![j]! * s.h[j]! + (1 - z![j]!) * g![j]!;
          h![j] = s.h[j]!;
        }
        Object.assign(out, { z, r, g, h });
      } else {
        addMatVec(a, s.h, U);
        const h = new Float32Array(H);
        for (let j = 0; j < H; j++) h[j] = s.h[j] = Math.tanh(a[j]!);
        out.h = h;
      }
      layers.push(out);
      x = s.h;
    });
    const logits = Float64Array.from(this.mat('head.bias').v);
    addMatVec(logits, x, this.mat('head.kernel'));
    const max = Math.max(...logits);
    const e = logits.map((z) => Math.exp(z - max));
    const total = e.reduce((p, q) => p + q, 0);
    const next = Float32Array.from(e, (v) => v / total);
    if (next.length !== V) throw new Error(`Tracer: head gives ${next.length} logits, expected vocabSize ${V}`);
    return { char: this.host.vocabulary[id]!, id, layers, next };
  }
}

/** The k most likely entries of `p`, most likely first, as [index, probability]. */
export function topK(p: ArrayLike<number>, k: number): [number, number][] {
  return Array.from({ length: p.length }, (_, i): [number, number] => [i, p[i]!])
    .sort((a, b) => b[1] - a[1])
    .slice(0, k);
}
