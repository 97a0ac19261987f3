/**
 * The character model end to end on wasm: shapes and leaks per cell, the stateful generator
 * against a full-sequence forward (the prefix is fed once, step by step), a short seeded
 * training run on a repetitive text, and save → load → the same samples from the same seed.
 * Node only because of the file system and the training time budget.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describeBackends, expectNoLeaks } from '@recurrent/core/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CharRnn, CELLS, type CharRnnConfig } from './model.js';
import { CharGenerator, sampleText } from './sample.js';
import { loadCharModel, saveCharModel } from './save.js';
import { ResettingStreams, trainCharLm } from './train.js';
import { TokenStreams } from '@recurrent/core';
import { Vocabulary } from './vocab.js';

const small = (cell: CharRnnConfig['cell'], layers = 2): CharRnnConfig => ({ vocabSize: 7, cell, layers, hidden: 8, embedding: 5, dropout: 0.2, seed: 3 });
const sink = { write: () => true };

describeBackends('character model', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'charlm-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const cell of CELLS) {
    it(`${cell}: logits [B·T, V], a state per layer, no leaks`, async () => {
      const model = new CharRnn(small(cell));
      await expectNoLeaks(() => {
        tf.tidy(() => {
          const ids = tf.tensor2d([[0, 1, 2], [3, 4, 5]], [2, 3], 'int32');
          const { logits, state } = model.forward(ids, undefined);
          expect(logits.shape).toEqual([6, 7]);
          expect(state).toHaveLength(2);
          expect(state[0]!.h.shape).toEqual([2, 8]);
          expect('c' in state[0]!).toBe(cell === 'lstm');
        });
      });
      model.dispose();
    });
  }

  it('the generator feeds the prefix once, step by step, matching a full-sequence forward', async () => {
    const vocab = Vocabulary.fromText('abcdefg');
    const model = new CharRnn(small('lstm'));
    const forward = model.forward.bind(model);
    const calls: number[][] = [];
    model.forward = (ids, state, ctx) => {
      calls.push(ids.shape);
      return forward(ids, state, ctx);
    };
    // Oracle: the last row of the full-sequence logits over "gabbe".
    const full = tf.tidy(() => forward(tf.tensor2d([Array.from(vocab.encode('gabbe'))], [1, 5], 'int32'), undefined).logits.slice([4, 0], [1, 7]));
    const want = await full.data();
    full.dispose();
    await expectNoLeaks(async () => {
      const g = new CharGenerator(model, vocab, { seed: 1 });
      g.feed('gab');
      g.feed('be');
      expect(calls).toEqual(Array.from({ length: 5 }, () => [1, 1]));
      const got = await (g as unknown as { logits: tf.Tensor }).logits.data();
      got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
      await g.next();
      expect(calls).toHaveLength(6); // one more one-step forward per character drawn
      g.dispose();
    });
    model.dispose();
  });

  it('ResettingStreams restarts the state every `carry` batches and at every epoch', () => {
    // 1 + 4·10 tokens: 4 streams × 10, windows of 2 → 5 batches per epoch
    const streams = new TokenStreams(Int32Array.from({ length: 41 }, (_, i) => i % 7), { batch: 4, steps: 2 });
    const data = new ResettingStreams(streams, 3);
    const resets = Array.from({ length: 12 }, (_, p) => (data.resetsState(p) ? p : -1)).filter((p) => p >= 0);
    expect(resets).toEqual([0, 3, 5, 6, 9, 10]); // multiples of 3, and epoch starts 0, 5, 10
    expect(data.tokensPerBatch).toBe(8);
    expect(() => new ResettingStreams(streams, 0)).toThrow(/carry must be an integer ≥ 1, got 0/);
  });

  it('learns a repetitive text in a short seeded run (validation loss < 0.3 nats/char; uniform is ln 12 ≈ 2.48)', async () => {
    const text = 'the cat sat on the mat. '.repeat(60); // 12 distinct characters, period 24
    const r = await trainCharLm(text, {
      cell: 'lstm', layers: 1, hidden: 32, embedding: 16, dropout: 0, seqLength: 24, batch: 8, lr: 1e-2, schedule: 'constant',
      clip: 5, steps: 120, seed: 1, validateEvery: 60, sampleLength: 0, output: sink, progress: false,
    });
    expect(r.summary.step).toBe(120);
    expect(r.validationLoss).toBeLessThan(0.3);
    // Greedy (top-1) after an unambiguous prefix continues the text.
    expect(await sampleText(r.model, r.vocab, 'cat sat ', 10, { topK: 1 })).toBe('on the mat');
    r.model.dispose();
  });

  it('trains a 2-layer GRU with dropout (seeded: the same loss twice)', async () => {
    const text = 'abcabd'.repeat(50);
    const run = async () => {
      const r = await trainCharLm(text, {
        cell: 'gru', layers: 2, hidden: 16, embedding: 8, dropout: 0.1, seqLength: 12, batch: 4, lr: 1e-2, schedule: 'cosine',
        clip: 1, steps: 30, seed: 7, sampleLength: 0, output: sink, progress: false,
      });
      r.model.dispose();
      return r.validationLoss;
    };
    const a = await run();
    expect(await run()).toBe(a);
    expect(a).toBeLessThan(Math.log(4)); // beats uniform over a, b, c, d
  });

  it('save → load gives the same weights, vocabulary and samples from the same seed', async () => {
    const vocab = Vocabulary.fromText('To be, or not to be: that is the question.');
    const model = new CharRnn({ ...small('gru'), vocabSize: vocab.size });
    const out = join(dir, 'model');
    await saveCharModel(out, model, vocab);
    const loaded = await loadCharModel(out);
    expect(loaded.vocab.chars).toEqual(vocab.chars);
    expect(loaded.model.config).toEqual(model.config);
    const opts = { temperature: 0.9, topP: 0.95 };
    const a = await sampleText(model, vocab, 'To ', 60, opts, 42);
    expect(await sampleText(loaded.model, loaded.vocab, 'To ', 60, opts, 42)).toBe(a);
    expect(await sampleText(loaded.model, loaded.vocab, 'To ', 60, opts, 43)).not.toBe(a);
    const json = JSON.parse(await readFile(join(out, 'model.json'), 'utf8')) as { format: string };
    expect(json.format).toBe('recurrent-charlm');
    model.dispose();
    loaded.model.dispose();
  });

  it('loading names what is missing', async () => {
    await expect(loadCharModel(join(dir, 'nowhere'))).rejects.toThrow(/cannot read .*model\.json.*expected a directory written by "recurrent train"/);
  });
}, { only: ['wasm'] });
