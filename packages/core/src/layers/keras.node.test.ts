/**
 * Node only: models saved as files (model.json + weights.bin, the layout of tfjs-node's file://
 * handler) round-trip on our layers, and the Keras export is loaded by a separate Node process
 * that imports nothing but `@tensorflow/tfjs` — vanilla TensorFlow.js without this package's
 * classes registered — and predicts what our model predicts.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../testing/index.js';
import { fileSystem, keras, layers, registerFileRouter } from './index.js';

const [B, T, I] = [2, 4, 3];
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'recurrent-layers-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Our file handler (tfjs-node's layout), as a function of the directory. */
const files = (path: string) => fileSystem(path);

/** A stack, a bidirectional GRU and a dense head, with seeded weights. */
function model(): tf.Sequential {
  const m = tf.sequential({
    layers: [
      layers.stacked('lstm', { units: 4, numLayers: 2, dropout: 0.2, returnSequences: true, inputShape: [T, I] }),
      layers.bidirectional({ layer: layers.gru({ units: 3, resetAfter: false }), mergeMode: 'sum' }),
      tf.layers.dense({ units: 2 }),
    ],
  });
  const values = m.getWeights().map((w, k) => tf.randomNormal(w.shape, 0, 0.5, 'float32', k));
  m.setWeights(values);
  tf.dispose(values);
  return m;
}

async function predict(m: tf.LayersModel, input: tf.Tensor): Promise<number[]> {
  const y = m.predict(input) as tf.Tensor;
  const v = Array.from(await y.data());
  y.dispose();
  return v;
}

describeBackends('models as files', () => {
  const x = Array.from({ length: B * T * I }, (_, k) => Math.sin(k));

  it("'file://' URLs work without tfjs-node once registerFileRouter() ran, in tfjs-node's layout", async () => {
    registerFileRouter();
    registerFileRouter(); // twice is harmless: one router
    const m = model();
    const input = tf.tensor3d(x, [B, T, I]);
    const want = await predict(m, input);
    const path = join(dir, 'router');
    await m.save(`file://${path}`);
    expect((await readdir(path)).sort()).toEqual(['model.json', 'weights.bin']);
    const json = JSON.parse(await readFile(join(path, 'model.json'), 'utf8')) as { weightsManifest: { paths: string[] }[] };
    expect(json.weightsManifest[0]!.paths).toEqual(['weights.bin']);
    const loaded = await tf.loadLayersModel(`file://${path}/model.json`);
    expect(await predict(loaded, input)).toEqual(want);
    await expect(tf.loadLayersModel(fileSystem(join(dir, 'missing')))).rejects.toThrow(/fileSystem: could not read .*missing\/model.json .*expected a directory written by model.save/);
    tf.dispose(input);
    m.dispose();
    loaded.dispose();
  });

  it('save to files → load → identical predictions (our classes)', async () => {
    const m = model();
    const input = tf.tensor3d(x, [B, T, I]);
    const want = await predict(m, input);
    await m.save(files(dir));
    const loaded = await tf.loadLayersModel(files(dir));
    expect(loaded.layers.map((l) => l.getClassName())).toEqual(['RecurrentStack', 'RecurrentBidirectional', 'Dense']);
    expect(await predict(loaded, input)).toEqual(want);
    tf.dispose(input);
    m.dispose();
    loaded.dispose();
  });

  it('Keras export → a Node process with only @tensorflow/tfjs loads it and predicts the same', async () => {
    const m = model();
    const input = tf.tensor3d(x, [B, T, I]);
    const want = await predict(m, input);
    await m.save(keras.saveHandler(files(dir)));
    const tfjs = createRequire(import.meta.url).resolve('@tensorflow/tfjs');
    const script = `
      const tf = await import(${JSON.stringify(pathToFileURL(tfjs).href)});
      const { readFile } = await import('node:fs/promises');
      await tf.setBackend('cpu');
      const json = JSON.parse(await readFile(${JSON.stringify(join(dir, 'model.json'))}, 'utf8'));
      const bin = await readFile(${JSON.stringify(join(dir, 'weights.bin'))});
      const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights,
        weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) }));
      const y = model.predict(tf.tensor3d(${JSON.stringify(x)}, [${B}, ${T}, ${I}]));
      console.log(JSON.stringify({ classes: model.layers.map((l) => l.getClassName()), y: Array.from(await y.data()) }));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, maxBuffer: 1 << 20 });
    const out = JSON.parse(stdout.trim().split('\n').pop()!) as { classes: string[]; y: number[] };
    expect(out.classes).toEqual(['LSTM', 'Dropout', 'LSTM', 'Bidirectional', 'Dense']);
    expect(out.y).toHaveRelativeError(want, 1e-5); // vanilla on cpu vs ours on this backend (SPEC.md's cpu/wasm bound)
    tf.dispose(input);
    m.dispose();
  });
}, { only: ['cpu', 'wasm'] });
