/**
 * Example: a conditioned generator learns to caption drawn scenes ("a red circle left of a blue
 * square"): a small convolutional encoder's feature vector initialises the LSTM decoder's state.
 * Saves the model and captions a few held-out scenes, drawn as ASCII.
 *
 *     npx tsc -b packages/models && node packages/models/dist/examples/captioner.js [out.json]
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@recurrent/core';
import { CAPTION_VOCAB, SceneTask } from '../captioner/data.js';
import { Captioner } from '../captioner/model.js';
import { trainCaptioner } from '../captioner/train.js';
import { progress, saveJson, setup } from './shared.js';

const out = process.argv[2] ?? 'out/captioner.json';
await setup('captioner');
const task = new SceneTask(24);
const model = new Captioner({ cell: 'lstm', imageSize: 24, channels: 3, filters: [8, 16], vocab: CAPTION_VOCAB.size, embedding: 16, hidden: 64, seed: 1 });
await trainCaptioner(model, { data: task.data(32), steps: 1000, seed: 1, callbacks: [progress(100)] });

const rng = new Rng(2025);
const test = Array.from({ length: 300 }, () => task.draw(rng));
const batch = task.batch(test);
const caps = (await model.caption(batch.images)).map((c) => CAPTION_VOCAB.decode(c).join(' '));
tf.dispose(Object.values(batch));
console.log(`held-out exact captions ${(caps.filter((c, i) => c === test[i]!.caption.join(' ')).length / test.length * 100).toFixed(1)}%`);
saveJson(out, await model.save());
for (const [i, scene] of test.slice(0, 3).entries()) console.log(`${task.ascii(scene)}\n  → ${caps[i]}   (truth: ${scene.caption.join(' ')})\n`);
model.dispose();
