/**
 * The models the bench times, built the same way for our ops and for the equivalent `tf.layers`
 * layer: a training step (forward, dense softmax head at every step, cross-entropy, backward,
 * Adam), a forward pass, or one generation step with carried state. Runs on any backend, in Node
 * or in a browser page.
 */
import * as tf from '@tensorflow/tfjs';
import { ops } from '@recurrent/core';
import { gateCount } from './flops.js';
import type { Case, Cell } from './types.js';

/** One thing to time. `unit()` runs one timed unit and waits until its result is on the host. */
export interface BenchModel {
  name: string;
  /** Time steps one unit covers (kernels per time step = kernels per unit / this). */
  timeSteps: number;
  unit(): Promise<void>;
  dispose(): void;
}

export type Impl = 'ours' | 'layers';

interface SequenceResult {
  sequence: tf.Tensor3D;
  h: tf.Tensor2D;
  c?: tf.Tensor2D;
}
interface OpParams {
  kernel: tf.Tensor2D;
  recurrentKernel: tf.Tensor2D;
  bias?: tf.Tensor1D;
}
interface OpOptions {
  h0?: tf.Tensor2D;
  c0?: tf.Tensor2D;
  resetAfter?: boolean;
}
type RecurrentOp = (x: tf.Tensor3D, params: OpParams, options?: OpOptions) => SequenceResult;

const OP_NAMES = { lstm: 'lstm', gru: 'gru', rnn: 'simpleRnn' } as const satisfies Record<Cell, string>;
const LAYER_NAMES = { lstm: 'tf.layers.lstm', gru: 'tf.layers.gru', rnn: 'tf.layers.simpleRNN' } as const satisfies Record<Cell, string>;

/** Our op for a cell, or why it cannot be had (ops.gru and ops.simpleRnn land with their issue). */
export function ourOp(cell: Cell): RecurrentOp | string {
  const name = OP_NAMES[cell];
  const op = (ops as unknown as Partial<Record<string, RecurrentOp>>)[name];
  return typeof op === 'function' ? op : `ops.${name} is not in @recurrent/core yet`;
}

/** The display name of an implementation of a cell. */
export function modelName(impl: Impl, cell: Cell): string {
  return impl === 'ours' ? `ops.${OP_NAMES[cell]}` : LAYER_NAMES[cell];
}

// tf.variable(t) leaves t allocated beside the variable: make each inside a tidy, which frees t
// and keeps the variable.
function glorot(shape: [number, number], seed: number): tf.Variable {
  const limit = Math.sqrt(6 / (shape[0] + shape[1]));
  return tf.tidy(() => tf.variable(tf.randomUniform(shape, -limit, limit, 'float32', seed)));
}

function zerosVariable(size: number): tf.Variable {
  return tf.tidy(() => tf.variable(tf.zeros([size])));
}

/** Builds one model of a case; throws (with the reason) when the implementation is missing. */
export function buildModel(impl: Impl, c: Case): BenchModel {
  const { batch: B, time: T, inputs: I, hidden: H, classes: C } = c.shape;
  const x = tf.randomNormal([B, T, I], 0, 1, 'float32', 1) as tf.Tensor3D;
  let cellFn: CellFn;
  try {
    cellFn = impl === 'ours' ? oursCell(c.cell, I, H) : layersCell(c.cell, c.mode, T, I, H, x);
  } catch (error) {
    x.dispose();
    throw error;
  }
  const name = modelName(impl, c.cell);
  switch (c.mode) {
    case 'training': {
      const labels = tf.tidy(() => tf.oneHot(tf.randomUniform([B * T], 0, C, 'int32', 2) as tf.Tensor1D, C));
      const Wd = glorot([H, C], 5);
      const bd = zerosVariable(C);
      const optimizer = tf.train.adam(1e-3, 0.9, 0.999, 1e-7);
      const vars = [...cellFn.variables, Wd, bd];
      return {
        name,
        timeSteps: T,
        unit: async () => {
          const loss = optimizer.minimize(() => {
            const sequence = cellFn.sequence(x);
            const logits = tf.add(tf.matMul(tf.reshape(sequence, [B * T, H]), Wd), bd);
            return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
          }, true, vars) as tf.Scalar;
          await loss.data();
          loss.dispose();
        },
        dispose: () => {
          tf.dispose([x, labels, Wd, bd]);
          cellFn.dispose();
          optimizer.dispose();
        },
      };
    }
    case 'inference':
      return {
        name,
        timeSteps: T,
        unit: async () => {
          const sequence = tf.tidy(() => cellFn.sequence(x));
          await sequence.data();
          sequence.dispose();
        },
        dispose: () => {
          x.dispose();
          cellFn.dispose();
        },
      };
    case 'generation': {
      const steps = tf.tidy(() => tf.unstack(x, 1).map((s) => tf.expandDims(s, 1) as tf.Tensor3D)); // T × [B, 1, I]
      let state: tf.Tensor2D[] = cellFn.stateCount === 2 ? [tf.zeros([B, H]), tf.zeros([B, H])] : [tf.zeros([B, H])];
      let k = 0;
      return {
        name,
        timeSteps: 1,
        unit: async () => {
          const next = tf.tidy(() => cellFn.step(steps[k]!, state));
          tf.dispose(state);
          state = next;
          k = (k + 1) % T;
          await state[0]!.data();
        },
        dispose: () => {
          tf.dispose([x, ...steps, ...state]);
          cellFn.dispose();
        },
      };
    }
    default:
      c.mode satisfies never;
      throw new Error(`buildModel: unknown mode "${String(c.mode)}"`);
  }
}

/** A recurrent layer, ours or tf.layers', as the three things the modes need. */
interface CellFn {
  variables: tf.Variable[];
  stateCount: 1 | 2;
  /** [B, T, I] → [B, T, H]. */
  sequence(x: tf.Tensor3D): tf.Tensor;
  /** One step [B, 1, I] from the carried state to the next state (h first). */
  step(x: tf.Tensor3D, state: tf.Tensor2D[]): tf.Tensor2D[];
  dispose(): void;
}

function oursCell(cell: Cell, I: number, H: number): CellFn {
  const op = ourOp(cell);
  if (typeof op === 'string') throw new Error(op);
  const G = gateCount(cell);
  const kernel = glorot([I, G * H], 3);
  const recurrentKernel = glorot([H, G * H], 4);
  const bias = zerosVariable(G * H);
  const params = (): OpParams => ({ kernel: kernel as tf.Tensor2D, recurrentKernel: recurrentKernel as tf.Tensor2D, bias: bias as tf.Tensor1D });
  // tf.layers.gru is reset-before; compare like with like.
  const extra: OpOptions = cell === 'gru' ? { resetAfter: false } : {};
  const stateCount = cell === 'lstm' ? 2 : 1;
  return {
    variables: [kernel, recurrentKernel, bias],
    stateCount,
    sequence: (x) => op(x, params(), extra).sequence,
    step: (x, state) => {
      const out = op(x, params(), { ...extra, h0: state[0], ...(stateCount === 2 ? { c0: state[1] } : {}) });
      return stateCount === 2 ? [out.h, out.c!] : [out.h];
    },
    dispose: () => tf.dispose([kernel, recurrentKernel, bias]),
  };
}

type RnnLayer = ReturnType<typeof tf.layers.rnn>;

function layersCell(cell: Cell, mode: Case['mode'], T: number, I: number, H: number, x: tf.Tensor3D): CellFn {
  const generation = mode === 'generation';
  // Glorot for the recurrent kernel too: tfjs' orthogonal initialiser takes minutes at [256, 1024].
  const common = {
    units: H,
    returnSequences: !generation,
    returnState: generation,
    recurrentInitializer: 'glorotUniform' as const,
    inputShape: [generation ? 1 : T, I],
  };
  const gated = { ...common, recurrentActivation: 'sigmoid' as const };
  const layer: RnnLayer = cell === 'lstm' ? tf.layers.lstm(gated) : cell === 'gru' ? tf.layers.gru(gated) : tf.layers.simpleRNN(common);
  const probe = generation ? tf.slice(x, [0, 0, 0], [-1, 1, -1]) : x;
  tf.dispose(layer.apply(probe) as tf.Tensor); // builds the weights
  if (probe !== x) probe.dispose();
  const stateCount = cell === 'lstm' ? 2 : 1;
  return {
    variables: layer.trainableWeights.map((w) => w.read() as tf.Variable),
    stateCount,
    sequence: (input) => layer.apply(input, { training: mode === 'training' }) as tf.Tensor,
    step: (input, state) => {
      const outs = layer.apply(input, { initialState: state }) as tf.Tensor[];
      return outs.slice(1) as tf.Tensor2D[]; // [output, h, (c)]
    },
    dispose: () => {
      layer.dispose();
    },
  };
}
