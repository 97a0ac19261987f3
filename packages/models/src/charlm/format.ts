/**
 * The character model file format, from and to bytes: no Node, no fetch, so the same parser runs
 * in the CLI, the tests and the browser demo. `save.ts` adds the file system and fetch around it.
 *
 *   model.json   { format: "recurrent-charlm", version: 2, config, vocabulary, dtype,
 *                  weights: { file, byteLength, checksum }, vocabularyChecksum,
 *                  tensors: [{ name, shape, dtype, offset }], about? }
 *   weights.bin  each tensor at its byte `offset` (a multiple of 4), little-endian:
 *                float32 values | float16 bits | int8: float32 scale per column, then int8 values
 *
 * Only matrices are quantised; vectors (biases) stay float32. `checksum` is FNV-1a of weights.bin
 * and `vocabularyChecksum` of the vocabulary's UTF-8 JSON: a truncated or corrupt weights file, or
 * a model.json paired with another run's weights or vocabulary, is refused with what to do.
 * Version 1 files (float32, offsets in floats, no checksum) still load.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CharRnn, validateConfig, type CharRnnConfig } from './model.js';
import { Vocabulary } from './vocab.js';
import { DTYPES, dequantizeInt8, fnv1a32, fromFloat16Bits, quantizeInt8, toFloat16Bits, type WeightDtype } from './quantize.js';

export const FORMAT = 'recurrent-charlm';
export const WEIGHTS_FILE = 'weights.bin';

export interface TensorEntry {
  name: string;
  shape: number[];
  /** Storage of this tensor (version 2); vectors are float32 whatever the file's dtype. */
  dtype?: WeightDtype;
  /** Byte offset in weights.bin (version 2); in floats for version 1. */
  offset: number;
}

export interface ModelFileV2 {
  format: typeof FORMAT;
  version: 2;
  config: CharRnnConfig;
  vocabulary: string[];
  dtype: WeightDtype;
  weights: { file: string; byteLength: number; checksum: string };
  vocabularyChecksum: string;
  tensors: TensorEntry[];
  /** Free-form provenance: how the model was trained and what its quantisation measured. */
  about?: Record<string, unknown>;
}

/** A parsed model on the host: float32 weights by parameter name, not yet on any backend. */
export interface HostCharModel {
  config: CharRnnConfig;
  vocabulary: string[];
  dtype: WeightDtype;
  weights: Map<string, { shape: number[]; values: Float32Array }>;
  about?: Record<string, unknown>;
}

const utf8 = (s: string) => new TextEncoder().encode(s);
const align4 = (n: number) => Math.ceil(n / 4) * 4;

function storedBytes(shape: number[], dtype: WeightDtype): number {
  const n = shape.reduce((a, b) => a * b, 1);
  if (dtype === 'float32') return 4 * n;
  if (dtype === 'float16') return align4(2 * n);
  return 4 * shape[shape.length - 1]! + align4(n);
}

/** The file's bytes for host weights (the exporter's side; `encodeCharModel` reads them off a model). */
export function encodeHostModel(m: Omit<HostCharModel, 'dtype'>, dtype: WeightDtype = 'float32'): { json: string; weights: Uint8Array } {
  if (!DTYPES.includes(dtype)) throw new Error(`encodeCharModel: dtype must be one of ${DTYPES.join(', ')}, got "${String(dtype)}"`);
  const tensors: TensorEntry[] = [];
  let offset = 0;
  for (const [name, { shape }] of m.weights) {
    const d: WeightDtype = shape.length >= 2 ? dtype : 'float32';
    tensors.push({ name, shape, dtype: d, offset });
    offset += storedBytes(shape, d);
  }
  const bytes = new Uint8Array(offset);
  const view = new DataView(bytes.buffer);
  for (const t of tensors) {
    const values = m.weights.get(t.name)!.values;
    if (t.dtype === 'float32') values.forEach((v, i) => view.setFloat32(t.offset + 4 * i, v, true));
    else if (t.dtype === 'float16') values.forEach((v, i) => view.setUint16(t.offset + 2 * i, toFloat16Bits(v), true));
    else {
      const cols = t.shape[t.shape.length - 1]!;
      const { scales, q } = quantizeInt8(values, cols);
      scales.forEach((s, j) => view.setFloat32(t.offset + 4 * j, s, true));
      bytes.set(new Uint8Array(q.buffer), t.offset + 4 * cols);
    }
  }
  const file: ModelFileV2 = {
    format: FORMAT,
    version: 2,
    config: m.config,
    vocabulary: [...m.vocabulary],
    dtype,
    weights: { file: WEIGHTS_FILE, byteLength: bytes.length, checksum: fnv1a32(bytes) },
    vocabularyChecksum: fnv1a32(utf8(JSON.stringify(m.vocabulary))),
    tensors,
    ...(m.about !== undefined ? { about: m.about } : {}),
  };
  return { json: `${JSON.stringify(file, null, 1)}\n`, weights: bytes };
}

/** Reads every parameter of `model` to the host and encodes it (see the module header). */
export async function encodeCharModel(model: CharRnn, vocab: Vocabulary, options: { dtype?: WeightDtype; about?: Record<string, unknown> } = {}): Promise<{ json: string; weights: Uint8Array }> {
  const weights = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const [name, v] of Object.entries(model.params)) weights.set(name, { shape: v.shape, values: (await v.data()) as Float32Array });
  return encodeHostModel({ config: model.config, vocabulary: [...vocab.chars], weights, ...(options.about !== undefined ? { about: options.about } : {}) }, options.dtype);
}

/** Where the weights of a parsed model.json are, relative to it. */
export function weightsFileOf(json: unknown): string {
  const w = (json as { weights?: { file?: unknown } } | null)?.weights?.file;
  return typeof w === 'string' ? w : WEIGHTS_FILE;
}

/**
 * Parses model.json (text or already-parsed object) and the weights' bytes into float32 host
 * weights, checking everything that can be checked. `source` names the files in errors.
 */
export function parseCharModel(json: string | unknown, bytes: Uint8Array, source = 'model.json'): HostCharModel {
  let file: Omit<Partial<ModelFileV2>, 'version'> & { version?: number };
  try {
    file = (typeof json === 'string' ? JSON.parse(json) : json) as typeof file;
  } catch (error) {
    throw new Error(`loadCharModel: ${source} is not JSON (${(error as Error).message}); expected the model.json written by "recurrent train"`);
  }
  if (file?.format !== FORMAT || (file.version !== 1 && file.version !== 2)) {
    throw new Error(`loadCharModel: ${source} is not a ${FORMAT} v1/v2 file (found format ${JSON.stringify(file?.format)}, version ${JSON.stringify(file?.version)})`);
  }
  const config = file.config!;
  validateConfig(config);
  const vocabulary = file.vocabulary ?? [];
  if (vocabulary.length !== config.vocabSize) {
    throw new Error(`loadCharModel: ${source} has a vocabulary of ${vocabulary.length} characters but the model was trained with vocabSize ${config.vocabSize}; the vocabulary does not belong to these weights — export the model again`);
  }
  const weightsName = weightsFileOf(file);
  if (file.version === 2) {
    const want = file.weights!;
    if (bytes.length !== want.byteLength) {
      throw new Error(`loadCharModel: ${weightsName} has ${bytes.length} bytes, ${source} expects ${want.byteLength}; the file is ${bytes.length < want.byteLength ? 'truncated' : 'from another model'} — download or export it again`);
    }
    const sum = fnv1a32(bytes);
    if (sum !== want.checksum) {
      throw new Error(`loadCharModel: ${weightsName} has checksum ${sum}, ${source} expects ${want.checksum}; the file is corrupt or belongs to another model.json — download or export both again`);
    }
    const vsum = fnv1a32(utf8(JSON.stringify(vocabulary)));
    if (vsum !== file.vocabularyChecksum) {
      throw new Error(`loadCharModel: the vocabulary in ${source} has checksum ${vsum}, expected ${String(file.vocabularyChecksum)}; it was edited or does not belong to this model — export the model again`);
    }
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const weights = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const t of file.tensors ?? []) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    const dtype: WeightDtype = file.version === 1 ? 'float32' : (t.dtype ?? 'float32');
    const offset = file.version === 1 ? 4 * t.offset : t.offset;
    if (!DTYPES.includes(dtype)) throw new Error(`loadCharModel: tensor "${t.name}" in ${source} has dtype "${String(dtype)}", expected one of ${DTYPES.join(', ')}`);
    const end = offset + (file.version === 1 ? 4 * n : storedBytes(t.shape, dtype));
    if (end > bytes.length) throw new Error(`loadCharModel: ${weightsName} holds ${bytes.length} bytes, "${t.name}" needs up to ${end}; the file is truncated`);
    let values: Float32Array;
    if (dtype === 'float32') values = Float32Array.from({ length: n }, (_, i) => view.getFloat32(offset + 4 * i, true));
    else if (dtype === 'float16') values = Float32Array.from({ length: n }, (_, i) => fromFloat16Bits(view.getUint16(offset + 2 * i, true)));
    else {
      const cols = t.shape[t.shape.length - 1]!;
      const scales = Float32Array.from({ length: cols }, (_, j) => view.getFloat32(offset + 4 * j, true));
      values = dequantizeInt8(new Int8Array(bytes.buffer, bytes.byteOffset + offset + 4 * cols, n), scales);
    }
    weights.set(t.name, { shape: t.shape, values });
  }
  return { config, vocabulary, dtype: file.version === 1 ? 'float32' : (file.dtype ?? 'float32'), weights, ...(file.about !== undefined ? { about: file.about } : {}) };
}

/** Builds the `CharRnn` (variables on the active backend) and `Vocabulary` of a parsed model. */
export function buildCharModel(host: HostCharModel, source = 'model.json'): { model: CharRnn; vocab: Vocabulary } {
  const vocab = new Vocabulary(host.vocabulary);
  const model = new CharRnn(host.config);
  try {
    for (const [name, v] of Object.entries(model.params)) {
      const t = host.weights.get(name);
      if (t === undefined) throw new Error(`loadCharModel: ${source} has no tensor "${name}" (has ${[...host.weights.keys()].join(', ')})`);
      if (t.shape.join('x') !== v.shape.join('x')) throw new Error(`loadCharModel: tensor "${name}" has shape [${t.shape}] in ${source}, expected [${v.shape}] from the config`);
      tf.tidy(() => v.assign(tf.tensor(t.values, v.shape)));
    }
  } catch (error) {
    model.dispose();
    throw error;
  }
  return { model, vocab };
}
