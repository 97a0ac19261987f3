/**
 * The model file format from and to bytes: the layout computed by hand for a tiny model, exact
 * float32 round trips through a real CharRnn, the quantised encodings' error bounds, the checks
 * that refuse truncated, corrupt or mismatched files, version 1 files, and fetch-based loading.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCharModel, encodeCharModel, encodeHostModel, parseCharModel, type HostCharModel } from './format.js';
import { CharRnn, type CharRnnConfig } from './model.js';
import { fetchCharModel } from './save.js';
import { Vocabulary } from './vocab.js';

const tiny: CharRnnConfig = { vocabSize: 3, cell: 'rnn', layers: 1, hidden: 1, embedding: 2, dropout: 0, seed: 1 };
const vocab = new Vocabulary(['a', 'b', 'c']);
const model = new CharRnn(tiny);
afterAll(() => model.dispose());

async function hostOf(m: CharRnn): Promise<HostCharModel> {
  const { json, weights } = await encodeCharModel(m, vocab);
  return parseCharModel(json, weights);
}

describe('model file format', () => {
  it('lays tensors out at 4-byte offsets; the int8 size is the hand count', async () => {
    const host = await hostOf(model);
    const { json, weights } = encodeHostModel(host, 'int8');
    // embed [3,2]: 2 scales·4 + 6 codes→8 = 16; l0.kernel [2,1]: 4 + 2→4 = 8; recurrentKernel [1,1]: 4 + 1→4 = 8;
    // bias [1] float32: 4; head.kernel [1,3]: 12 + 3→4 = 16; head.bias [3] float32: 12. Total 64.
    expect(weights.length).toBe(64);
    const file = JSON.parse(json);
    expect(file.tensors.map((t: { offset: number }) => t.offset)).toEqual([0, 16, 24, 32, 36, 52]);
    expect(file.tensors.map((t: { dtype: string }) => t.dtype)).toEqual(['int8', 'int8', 'int8', 'float32', 'int8', 'float32']);
    expect(file.version).toBe(2);
  });

  it('float32 round-trips a CharRnn exactly, and the rebuilt model gives the same logits', async () => {
    const big = new CharRnn({ vocabSize: 3, cell: 'lstm', layers: 2, hidden: 5, embedding: 4, dropout: 0, seed: 7 });
    const host = await hostOf(big);
    const { model: back } = buildCharModel(host);
    for (const [name, v] of Object.entries(big.params)) expect(Array.from(await back.params[name]!.data())).toEqual(Array.from(await v.data()));
    const ids = tf.tensor2d([[0, 2, 1, 1]], [1, 4], 'int32');
    const a = tf.tidy(() => big.forward(ids, undefined).logits);
    const b = tf.tidy(() => back.forward(ids, undefined).logits);
    expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
    tf.dispose([ids, a, b]);
    big.dispose();
    back.dispose();
  });

  it('float16 and int8 stay within their error bounds', async () => {
    const big = new CharRnn({ vocabSize: 3, cell: 'gru', layers: 1, hidden: 6, embedding: 4, dropout: 0, seed: 3 });
    const host = await hostOf(big);
    for (const dtype of ['float16', 'int8'] as const) {
      const { json, weights } = encodeHostModel(host, dtype);
      const back = parseCharModel(json, weights);
      expect(back.dtype).toBe(dtype);
      for (const [name, t] of host.weights) {
        const got = back.weights.get(name)!.values;
        const cols = t.shape[t.shape.length - 1]!;
        const colMax = Array.from({ length: cols }, (_, j) => Math.max(...Array.from(t.values).filter((_, i) => i % cols === j).map(Math.abs)));
        t.values.forEach((v, i) => {
          // float16: half an ulp, 2⁻¹¹|v|; int8: half a step, max|column| / 254; vectors stay float32.
          const bound = t.shape.length < 2 ? 0 : dtype === 'float16' ? 2 ** -11 * Math.abs(v) + 2 ** -25 : colMax[i % cols]! / 254 + 1e-7;
          expect(Math.abs(got[i]! - v)).toBeLessThanOrEqual(bound);
        });
      }
    }
    big.dispose();
  });

  it('refuses a truncated, a corrupt or a mismatched file, saying what to do', async () => {
    const { json, weights } = encodeHostModel(await hostOf(model), 'float32');
    expect(() => parseCharModel(json, weights.subarray(0, weights.length - 4))).toThrow(/weights\.bin has \d+ bytes, model\.json expects \d+; the file is truncated/);
    const corrupt = weights.slice();
    corrupt[5]! ^= 1;
    expect(() => parseCharModel(json, corrupt)).toThrow(/checksum [0-9a-f]{8}, model\.json expects [0-9a-f]{8}; the file is corrupt/);
    const file = JSON.parse(json);
    expect(() => parseCharModel({ ...file, vocabulary: ['a', 'b'] }, weights)).toThrow(/vocabulary of 2 characters but the model was trained with vocabSize 3/);
    expect(() => parseCharModel({ ...file, vocabulary: ['a', 'b', 'd'] }, weights)).toThrow(/the vocabulary in model\.json has checksum .* does not belong to this model/);
    expect(() => parseCharModel('{"format":', weights)).toThrow(/model\.json is not JSON/);
    expect(() => parseCharModel({ ...file, format: 'other' }, weights)).toThrow(/not a recurrent-charlm v1\/v2 file \(found format "other"/);
  });

  it('reads version 1 files (float32, offsets counted in floats)', async () => {
    const host = await hostOf(model);
    let offset = 0;
    const tensors = [...host.weights].map(([name, t]) => ({ name, shape: t.shape, offset: (offset += t.values.length) - t.values.length }));
    const data = new Float32Array(offset);
    for (const [i, [, t]] of [...host.weights].entries()) data.set(t.values, tensors[i]!.offset);
    const v1 = { format: 'recurrent-charlm', version: 1, config: tiny, vocabulary: ['a', 'b', 'c'], tensors };
    const back = parseCharModel(v1, new Uint8Array(data.buffer));
    for (const [name, t] of host.weights) expect(Array.from(back.weights.get(name)!.values)).toEqual(Array.from(t.values));
  });
});

describe('fetchCharModel', () => {
  it('fetches model.json and the weights beside it; names the URL and status on failure', async () => {
    const { json, weights } = encodeHostModel(await hostOf(model), 'int8');
    const files: Record<string, BodyInit> = { '/m/model.json': json, '/m/weights.bin': new Blob([weights as Uint8Array<ArrayBuffer>]) };
    const seen: string[] = [];
    const fake = (async (u: URL) => {
      seen.push(u.pathname);
      const body = files[u.pathname];
      return body === undefined ? new Response('nope', { status: 404, statusText: 'Not Found' }) : new Response(body);
    }) as unknown as typeof fetch;
    const host = await fetchCharModel(new URL('http://127.0.0.1/m/model.json'), fake);
    expect(seen).toEqual(['/m/model.json', '/m/weights.bin']);
    expect(host.dtype).toBe('int8');
    expect(host.vocabulary).toEqual(['a', 'b', 'c']);
    await expect(fetchCharModel(new URL('http://127.0.0.1/x/model.json'), fake)).rejects.toThrow('the model description http://127.0.0.1/x/model.json answered HTTP 404 Not Found');
    delete files['/m/weights.bin'];
    await expect(fetchCharModel(new URL('http://127.0.0.1/m/model.json'), fake)).rejects.toThrow(/weights file http:\/\/127\.0\.0\.1\/m\/weights\.bin answered HTTP 404/);
  });
});
