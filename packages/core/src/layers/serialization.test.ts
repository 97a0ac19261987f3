/**
 * Saving and loading, on every backend, through in-memory IOHandlers (`tf.io.withSaveHandler`,
 * `tf.io.fromMemory`; no file system, so this suite also runs in the browser): our layers
 * round-trip with identical predictions; the Keras export holds only standard class names, loads
 * through vanilla tf.layers classes and predicts the same; a vanilla tfjs model runs on our
 * layers; and what cannot be translated is refused with the layer's name.
 */
import * as tf from '@tensorflow/tfjs';
import { expect, it, vi } from 'vitest';
import { isBrowser } from '../backend/index.js';
import { describeBackends, tolerances } from '../testing/index.js';
import { Bidirectional, Gru, Lstm, SimpleRnn, Stack, keras, layers } from './index.js';

const [B, T, V, E] = [3, 5, 9, 4];

async function save(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    saved = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return saved!;
}

const load = (a: tf.io.ModelArtifacts) => tf.loadLayersModel(tf.io.fromMemory(a));
const tokens = () => tf.tensor2d([[1, 2, 3, 4, 5], [6, 7, 8, 0, 0], [2, 0, 0, 0, 0]], [B, T], 'int32');
const embedding = () => tf.layers.embedding({ inputDim: V, outputDim: E, maskZero: true, inputLength: T });

/** Seeded weights (N(0, 0.5²)), so every run compares the same numbers. */
function seedWeights(model: tf.LayersModel, seed = 1): void {
  const values = model.getWeights().map((w, k) => tf.randomNormal(w.shape, 0, 0.5, 'float32', seed + k));
  model.setWeights(values);
  tf.dispose(values);
}

async function predictions(model: tf.LayersModel, x: tf.Tensor): Promise<Float32Array> {
  const y = model.predict(x) as tf.Tensor;
  const v = (await y.data()) as Float32Array;
  y.dispose();
  return v;
}

/** Every class_name in a topology. */
function classNames(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) v.forEach((x) => classNames(x, out));
  else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k === 'class_name' && typeof x === 'string') out.push(x);
      classNames(x, out);
    }
  }
  return out;
}

describeBackends('save / load and Keras interop', (backend) => {
  const tol = tolerances(backend).forward;
  // tfjs-layers' own masking is broken on tfjs-backend-webgpu 4.22 (ops/lstm.test.ts): vanilla
  // models on webgpu run without the embedding mask there.
  const maskZero = backend !== 'webgpu';
  const emb = () => (maskZero ? embedding() : tf.layers.embedding({ inputDim: V, outputDim: E, inputLength: T }));

  it('round trip: every layer kind and option of ours, identical predictions', async () => {
    const model = tf.sequential({
      layers: [
        embedding(),
        layers.lstm({ units: 4, peephole: true, coupled: true, returnSequences: true, recurrentRegularizer: 'l2' }),
        layers.bidirectional({ layer: layers.gru({ units: 3, returnSequences: true }), mergeMode: 'ave' }),
        layers.stacked('simpleRnn', { units: 3, numLayers: 2, activation: 'relu', recurrentInitializer: 'identity', dropout: 0.1, returnSequences: true }),
        layers.gru({ units: 3, goBackwards: true, resetAfter: false }),
        tf.layers.dense({ units: 2 }),
      ],
    });
    const x = tokens();
    const want = await predictions(model, x);
    const loaded = await load(await save(model));
    expect(loaded.layers.map((l) => l.constructor)).toEqual([model.layers[0]!.constructor, Lstm, Bidirectional, Stack, Gru, model.layers[5]!.constructor]);
    expect(loaded.layers[1]!.getConfig()).toMatchObject({ peephole: true, coupled: true, returnSequences: true });
    expect(await predictions(loaded, x)).toEqual(want);
    tf.dispose(x);
    model.dispose();
    loaded.dispose();
  });

  it('Keras export: standard classes only, loads through vanilla classes, same predictions (Sequential)', async () => {
    const model = tf.sequential({
      layers: [
        emb(),
        layers.lstm({ units: 4, returnSequences: true, kernelRegularizer: 'l1' }),
        layers.stacked('simpleRnn', { units: 3, numLayers: 2, dropout: 0.3, returnSequences: true, name: 'deep' }),
        layers.bidirectional({ layer: layers.gru({ units: 3, resetAfter: false }), mergeMode: 'concat' }),
        tf.layers.dense({ units: 2 }),
      ],
    });
    seedWeights(model);
    const x = tokens();
    const want = await predictions(model, x);
    const artifacts = keras.toKerasArtifacts(await save(model));
    const names = classNames(artifacts.modelTopology);
    expect(names.filter((n) => n.startsWith('Recurrent'))).toEqual([]);
    expect(names).toEqual(expect.arrayContaining(['LSTM', 'SimpleRNN', 'Dropout', 'Bidirectional', 'GRU', 'Orthogonal']));
    const vanilla = await load(artifacts);
    expect(vanilla.layers.map((l) => l.getClassName())).toEqual(['Embedding', 'LSTM', 'SimpleRNN', 'Dropout', 'SimpleRNN', 'Bidirectional', 'Dense']);
    expect(vanilla.layers.some((l) => l instanceof Lstm || l instanceof SimpleRnn || l instanceof Gru || l instanceof Bidirectional)).toBe(false);
    expect(await predictions(vanilla, x)).toHaveRelativeError(want, tol);
    tf.dispose(x);
    model.dispose();
    vanilla.dispose();
  });

  it('Keras export of a functional model with a stack in the middle and two outputs', async () => {
    const input = tf.input({ shape: [T, E] });
    const seq = layers.stacked('lstm', { units: 3, numLayers: 3, dropout: 0.2, returnSequences: true, name: 'encoder' }).apply(input) as tf.SymbolicTensor;
    const last = layers.gru({ units: 2, resetAfter: false }).apply(seq) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: [seq, last] });
    seedWeights(model);
    const x = tf.randomNormal([B, T, E], 0, 1, 'float32', 3);
    const run = async (m: tf.LayersModel) => Promise.all((m.predict(x) as tf.Tensor[]).map(async (t) => { const v = await t.data(); t.dispose(); return v; }));
    const want = await run(model);
    const vanilla = await load(keras.toKerasArtifacts(await save(model)));
    expect(vanilla.layers.map((l) => l.name)).toEqual(expect.arrayContaining(['encoder_lstm_0', 'encoder_dropout_1', 'encoder_lstm_1', 'encoder_dropout_2', 'encoder']));
    const got = await run(vanilla);
    got.forEach((g, k) => expect(g, `output ${k}`).toHaveRelativeError(want[k]!, tol));
    tf.dispose(x);
    model.dispose();
    vanilla.dispose();
  });

  it('Keras import: a vanilla tfjs model runs on our layers with the same predictions', async () => {
    const vanilla = tf.sequential({
      layers: [
        emb(),
        tf.layers.lstm({ units: 4, recurrentActivation: 'sigmoid', returnSequences: true }),
        tf.layers.bidirectional({ layer: tf.layers.gru({ units: 3, recurrentActivation: 'sigmoid', returnSequences: true }) as tf.RNN, mergeMode: 'sum' }),
        tf.layers.simpleRNN({ units: 3, activation: 'relu' }),
        tf.layers.dense({ units: 2 }),
      ],
    });
    seedWeights(vanilla);
    const x = tokens();
    const want = await predictions(vanilla, x);
    const ours = await tf.loadLayersModel(keras.loadHandler(tf.io.fromMemory(await save(vanilla))));
    expect(ours.layers.map((l) => l.getClassName())).toEqual(['Embedding', 'RecurrentLSTM', 'RecurrentBidirectional', 'RecurrentSimpleRNN', 'Dense']);
    expect((ours.layers[2] as Bidirectional).forwardLayer.getConfig()).toMatchObject({ resetAfter: false });
    expect(await predictions(ours, x)).toHaveRelativeError(want, tol);
    tf.dispose(x);
    vanilla.dispose();
    ours.dispose();
  });

  it.skipIf(!isBrowser())('browser: indexeddb:// round trip of ours, and the Keras export through indexeddb://', async () => {
    const model = tf.sequential({ layers: [emb(), layers.lstm({ units: 3, returnSequences: true }), layers.gru({ units: 2, resetAfter: false })] });
    seedWeights(model);
    const x = tokens();
    const want = await predictions(model, x);
    const [ours, exported] = [`indexeddb://recurrent-layers-${backend}`, `indexeddb://recurrent-layers-keras-${backend}`];
    await model.save(ours);
    await model.save(keras.saveHandler(exported));
    const [a, b] = [await tf.loadLayersModel(ours), await tf.loadLayersModel(exported)];
    expect([a, b].map((m) => m.layers[1]!.getClassName())).toEqual(['RecurrentLSTM', 'LSTM']);
    expect(await predictions(a, x)).toEqual(want);
    expect(await predictions(b, x)).toHaveRelativeError(want, tol);
    await Promise.all([ours, exported].map((url) => tf.io.removeModel(url)));
    tf.dispose(x);
    [model, a, b].forEach((m) => m.dispose());
  });

  it.skipIf(!isBrowser())('browser: downloads:// writes model.json and weights.bin that load back to the same model', async () => {
    const model = tf.sequential({ layers: [emb(), layers.lstm({ units: 3, returnSequences: true }), layers.gru({ units: 2 })] });
    seedWeights(model);
    const x = tokens();
    const want = await predictions(model, x);
    // tfjs "downloads" by clicking detached anchors whose href is a blob URL: keep the anchors.
    const anchors: HTMLAnchorElement[] = [];
    const create = document.createElement.bind(document);
    const spy = vi.spyOn(document, 'createElement').mockImplementation((tag: string, options?: ElementCreationOptions) => {
      const el = create(tag, options);
      if (tag === 'a') anchors.push(el as HTMLAnchorElement);
      return el;
    });
    try {
      await model.save(`downloads://recurrent-${backend}`);
    } finally {
      spy.mockRestore();
    }
    const byName = new Map(anchors.map((a) => [a.download, a.href]));
    expect([...byName.keys()].sort()).toEqual([`recurrent-${backend}.json`, `recurrent-${backend}.weights.bin`]);
    const json = (await (await fetch(byName.get(`recurrent-${backend}.json`)!)).json()) as { modelTopology: object; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
    const weights = await (await fetch(byName.get(`recurrent-${backend}.weights.bin`)!)).arrayBuffer();
    const loaded = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0]!.weights, weightData: weights }));
    expect(loaded.layers[1]!.getClassName()).toBe('RecurrentLSTM');
    expect(await predictions(loaded, x)).toEqual(want);
    tf.dispose(x);
    [model, loaded].forEach((m) => m.dispose());
  });

  it('refusals name the layer and the reason', async () => {
    const peephole = tf.sequential({ layers: [layers.lstm({ units: 2, peephole: true, name: 'p', inputShape: [T, E] })] });
    await expect(save(peephole).then((a) => keras.toKerasArtifacts(a))).rejects.toThrow(/layer 'p' \(RecurrentLSTM\): peephole connections have no standard Keras equivalent/);
    const gru = tf.sequential({ layers: [layers.gru({ units: 2, name: 'g', inputShape: [T, E] })] });
    const gruArtifacts = await save(gru);
    expect(() => keras.toKerasArtifacts(gruArtifacts)).toThrow(/layer 'g' \(RecurrentGRU\): vanilla TensorFlow.js' GRU is reset-before only/);
    // Python Keras has reset_after: the 'keras' target writes it.
    const forPython = keras.toKerasArtifacts(gruArtifacts, { target: 'keras' });
    expect(JSON.stringify(forPython.modelTopology)).toContain('"reset_after":true');
    const hard = tf.sequential({ layers: [tf.layers.lstm({ units: 2, name: 'h', inputShape: [T, E] })] }); // hardSigmoid by default
    const hardArtifacts = await save(hard);
    expect(() => keras.fromKerasArtifacts(hardArtifacts)).toThrow(/layer 'h' \(LSTM\): recurrent_activation "hard_sigmoid"; our ops compute the logistic sigmoid/);
    [peephole, gru, hard].forEach((m) => m.dispose());
  });
});
