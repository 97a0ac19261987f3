/**
 * A trained character model on disk, as a directory:
 *
 *   model.json    { format: "recurrent-charlm", version: 1, config, vocabulary, tensors: [{ name, shape, offset }] }
 *   weights.bin   every parameter as little-endian float32, concatenated in `tensors` order
 *
 * Both files are written atomically (temporary file + rename), so a killed save never leaves a
 * half-written model. Loading rebuilds the same `CharRnn` and `Vocabulary`: the same samples come
 * from the same seed. Node only at call time: `node:fs` is imported lazily, so importing this
 * module is harmless in a browser.
 */
import * as tf from '@tensorflow/tfjs-core';
import { atomicWriteFile } from '@recurrent/core';
import { CharRnn, validateConfig, type CharRnnConfig } from './model.js';
import { Vocabulary } from './vocab.js';

const FORMAT = 'recurrent-charlm';
const join = (dir: string, name: string) => (dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`);
const readFile = async (path: string): Promise<Uint8Array> => (await import('node:fs/promises')).readFile(path);

interface ModelFile {
  format: typeof FORMAT;
  version: 1;
  config: CharRnnConfig;
  vocabulary: string[];
  tensors: { name: string; shape: number[]; offset: number }[];
}

/** Writes `model` and `vocab` to directory `dir` (created if needed). */
export async function saveCharModel(dir: string, model: CharRnn, vocab: Vocabulary): Promise<void> {
  const entries = Object.entries(model.params);
  const tensors: ModelFile['tensors'] = [];
  let offset = 0;
  for (const [name, v] of entries) {
    tensors.push({ name, shape: v.shape, offset });
    offset += v.size;
  }
  const data = new Float32Array(offset);
  for (const [i, [, v]] of entries.entries()) data.set(await v.data(), tensors[i]!.offset);
  const file: ModelFile = { format: FORMAT, version: 1, config: model.config, vocabulary: [...vocab.chars], tensors };
  await atomicWriteFile(join(dir, 'weights.bin'), new Uint8Array(data.buffer));
  await atomicWriteFile(join(dir, 'model.json'), `${JSON.stringify(file, null, 1)}\n`);
}

/** Reads a model saved by {@link saveCharModel}. */
export async function loadCharModel(dir: string): Promise<{ model: CharRnn; vocab: Vocabulary }> {
  const jsonPath = join(dir, 'model.json');
  let text: string;
  try {
    text = new TextDecoder().decode(await readFile(jsonPath));
  } catch (error) {
    throw new Error(`loadCharModel: cannot read ${jsonPath} (${(error as Error).message}); expected a directory written by "recurrent train" (model.json + weights.bin)`);
  }
  const file = JSON.parse(text) as Partial<ModelFile>;
  if (file.format !== FORMAT || file.version !== 1) {
    throw new Error(`loadCharModel: ${jsonPath} is not a ${FORMAT} v1 file (found format ${JSON.stringify(file.format)}, version ${JSON.stringify(file.version)})`);
  }
  const config = file.config!;
  validateConfig(config);
  const vocab = new Vocabulary(file.vocabulary ?? []);
  const bytes = await readFile(join(dir, 'weights.bin'));
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const model = new CharRnn(config);
  const stored = new Map((file.tensors ?? []).map((t) => [t.name, t]));
  try {
    for (const [name, v] of Object.entries(model.params)) {
      const t = stored.get(name);
      if (t === undefined) throw new Error(`loadCharModel: ${jsonPath} has no tensor "${name}" (has ${[...stored.keys()].join(', ')})`);
      if (t.shape.join('x') !== v.shape.join('x')) throw new Error(`loadCharModel: tensor "${name}" has shape [${t.shape}] in the file, expected [${v.shape}] from the config`);
      if (t.offset + v.size > data.length) throw new Error(`loadCharModel: weights.bin holds ${data.length} floats, "${name}" needs up to ${t.offset + v.size}; the file is truncated`);
      tf.tidy(() => v.assign(tf.tensor(data.subarray(t.offset, t.offset + v.size), v.shape)));
    }
  } catch (error) {
    model.dispose();
    throw error;
  }
  return { model, vocab };
}
