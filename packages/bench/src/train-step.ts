/**
 * One training step of a recurrent language-model shape, measured the same way for our ops and
 * for the equivalent `tf.layers` model: forward over the sequence, a dense softmax head at every
 * step, cross-entropy, backward, Adam update.
 */
import * as tf from '@tensorflow/tfjs';
import { ops } from '@recurrent/core';

export interface StepShape {
  batch: number;
  time: number;
  inputs: number;
  hidden: number;
  classes: number;
}

export interface StepModel {
  name: string;
  /** Runs one training step and returns the loss (a scalar the caller reads and disposes). */
  step(): tf.Scalar;
  dispose(): void;
}

function glorot(shape: [number, number], seed: number): tf.Variable {
  const limit = Math.sqrt(6 / (shape[0] + shape[1]));
  return tf.variable(tf.randomUniform(shape, -limit, limit, 'float32', seed));
}

function makeData(s: StepShape) {
  const x = tf.randomNormal([s.batch, s.time, s.inputs], 0, 1, 'float32', 1) as tf.Tensor3D;
  const labels = tf.oneHot(tf.randomUniform([s.batch * s.time], 0, s.classes, 'int32', 2) as tf.Tensor1D, s.classes);
  return { x, labels };
}

function head(s: StepShape) {
  return { Wd: glorot([s.hidden, s.classes], 5), bd: tf.variable(tf.zeros([s.classes])) };
}

/** Our LSTM op inside `optimizer.minimize`. */
export function oursLstm(s: StepShape): StepModel {
  const { x, labels } = makeData(s);
  const kernel = glorot([s.inputs, 4 * s.hidden], 3);
  const recurrentKernel = glorot([s.hidden, 4 * s.hidden], 4);
  const bias = tf.variable(tf.zeros([4 * s.hidden]));
  const { Wd, bd } = head(s);
  const optimizer = tf.train.adam(1e-3, 0.9, 0.999, 1e-7);
  const vars = [kernel, recurrentKernel, bias, Wd, bd];
  return {
    name: 'ours (ops.lstm)',
    step: () =>
      optimizer.minimize(() => {
        const { sequence } = ops.lstm(x, { kernel: kernel as tf.Tensor2D, recurrentKernel: recurrentKernel as tf.Tensor2D, bias: bias as tf.Tensor1D });
        const logits = tf.add(tf.matMul(tf.reshape(sequence, [s.batch * s.time, s.hidden]), Wd), bd);
        return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
      }, true, vars) as tf.Scalar,
    dispose: () => {
      tf.dispose([x, labels, ...vars]);
      optimizer.dispose();
    },
  };
}

/** The same model with `tf.layers.lstm` (recurrentActivation 'sigmoid', as Keras). */
export function layersLstm(s: StepShape): StepModel {
  const { x, labels } = makeData(s);
  const layer = tf.layers.lstm({ units: s.hidden, returnSequences: true, recurrentActivation: 'sigmoid', recurrentInitializer: 'glorotUniform', inputShape: [s.time, s.inputs] });
  tf.dispose(layer.apply(x) as tf.Tensor); // builds the weights
  // Glorot for the recurrent kernel too: tfjs' orthogonal initialiser takes minutes at [256, 1024].
  const { Wd, bd } = head(s);
  const optimizer = tf.train.adam(1e-3, 0.9, 0.999, 1e-7);
  const vars = [...layer.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val), Wd, bd];
  return {
    name: 'tf.layers.lstm',
    step: () =>
      optimizer.minimize(() => {
        const sequence = layer.apply(x, { training: true }) as tf.Tensor;
        const logits = tf.add(tf.matMul(tf.reshape(sequence, [s.batch * s.time, s.hidden]), Wd), bd);
        return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
      }, true, vars) as tf.Scalar,
    dispose: () => {
      tf.dispose([x, labels, Wd, bd]);
      layer.dispose();
      optimizer.dispose();
    },
  };
}

export interface StepMeasurement {
  name: string;
  medianMs: number;
  minMs: number;
  maxMs: number;
  tokensPerSecond: number;
  kernelsPerStep: number;
  kernelsPerTimeStep: number;
}

/** Kernels dispatched by one training step (tf.profile counts every kernel, nested ones too). */
export async function countKernels(model: StepModel): Promise<number> {
  const info = await tf.profile(async () => {
    const loss = model.step();
    await loss.data();
    loss.dispose();
  });
  // tf.profile also lists scopes (customGrad nodes, fused-op wrappers); count registered kernels only.
  const backend = tf.getBackend();
  return info.kernels.filter((k) => tf.getKernel(k.name, backend) !== undefined).length;
}

/** Times `reps` steps of each model, alternating between them, after `warmup` steps each. */
export async function measure(models: StepModel[], shape: StepShape, reps: number, warmup: number, log: (line: string) => void): Promise<StepMeasurement[]> {
  const times = models.map(() => [] as number[]);
  for (const [i, m] of models.entries()) {
    for (let w = 0; w < warmup; w++) {
      const t0 = performance.now();
      const loss = model(m);
      await loss.data();
      loss.dispose();
      log(`  warm-up ${m.name} ${w + 1}/${warmup}: ${(performance.now() - t0).toFixed(0)} ms`);
    }
    void i;
  }
  for (let r = 0; r < reps; r++) {
    for (const [i, m] of models.entries()) {
      const t0 = performance.now();
      const loss = model(m);
      await loss.data();
      loss.dispose();
      const ms = performance.now() - t0;
      times[i]!.push(ms);
      log(`  rep ${r + 1}/${reps} ${m.name}: ${ms.toFixed(0)} ms`);
    }
  }
  const out: StepMeasurement[] = [];
  for (const [i, m] of models.entries()) {
    const sorted = [...times[i]!].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    const kernels = await countKernels(m);
    out.push({
      name: m.name,
      medianMs: median,
      minMs: sorted[0]!,
      maxMs: sorted[sorted.length - 1]!,
      tokensPerSecond: (shape.batch * shape.time) / (median / 1000),
      kernelsPerStep: kernels,
      kernelsPerTimeStep: kernels / shape.time,
    });
  }
  return out;
}

function model(m: StepModel): tf.Scalar {
  return m.step();
}
