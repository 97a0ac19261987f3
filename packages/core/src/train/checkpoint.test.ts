/** The checkpoint format (round trip, damage detection) and restore's refusals. */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { describeBackends, expectNoLeaks } from '../testing/index.js';
import { decodeCheckpoint, encodeCheckpoint, MemoryCheckpointStore } from './checkpoint.js';
import { Trainer } from './trainer.js';
import { TokenStreams } from './streams.js';
import { tinyLm } from './tasks/tiny-lm.js';

describe('checkpoint format', () => {
  const data = {
    meta: { step: 7, note: 'x', nested: { a: [1, 2] } },
    arrays: [
      { name: 'w', dtype: 'float32' as const, shape: [2, 3], data: Float32Array.of(1, -2, 3.5, Math.PI, -0, 1e-30) },
      { name: 'iter', dtype: 'int32' as const, shape: [], data: Int32Array.of(-5) },
    ],
  };

  it('round-trips metadata and arrays bit-for-bit', () => {
    const back = decodeCheckpoint(encodeCheckpoint(data));
    expect(back.meta).toEqual(data.meta);
    expect(back.arrays.map((a) => [a.name, a.dtype, a.shape])).toEqual([['w', 'float32', [2, 3]], ['iter', 'int32', []]]);
    expect(back.arrays[0]!.data).toEqual(data.arrays[0]!.data);
    expect(Object.is(back.arrays[0]!.data[4], -0)).toBe(true);
    expect(back.arrays[1]!.data).toEqual(Int32Array.of(-5));
  });

  it('detects a truncated or altered blob and a foreign file', () => {
    const blob = encodeCheckpoint(data);
    expect(() => decodeCheckpoint(blob.subarray(0, blob.length - 3), 'cut')).toThrow(/cut is not a valid checkpoint \(hash mismatch/);
    const flipped = blob.slice();
    flipped[flipped.length - 1]! ^= 1;
    expect(() => decodeCheckpoint(flipped)).toThrow(/hash mismatch/);
    expect(() => decodeCheckpoint(new TextEncoder().encode('{"not": "a checkpoint"}'))).toThrow(/expected the "RCKPT" v1 magic/);
  });

  it('rejects arrays whose length does not match their shape', () => {
    expect(() => encodeCheckpoint({ meta: {}, arrays: [{ name: 'w', dtype: 'float32', shape: [2, 2], data: new Float32Array(3) }] }))
      .toThrow(/w has 3 values for shape \[2, 2\]/);
  });

  it('the memory store hands out copies', async () => {
    const store = new MemoryCheckpointStore();
    const blob = Uint8Array.of(1, 2, 3);
    await store.write('last', blob);
    blob[0] = 9;
    const read = (await store.read('last'))!;
    read[1] = 9;
    expect(Array.from((await store.read('last'))!)).toEqual([1, 2, 3]);
    expect(await store.read('best')).toBeUndefined();
  });
});

describeBackends('trainer restore', () => {
  const ids = Int32Array.from({ length: 200 }, (_, i) => (i * 7) % 11);
  const make = (hidden: number, optimizer: 'adam' | 'rmsprop') => {
    const model = tinyLm({ vocab: 11, embedding: 4, hidden, seed: 3 });
    const trainer = new Trainer({
      model, data: new TokenStreams(ids, { batch: 2, steps: 5 }), steps: 4, seed: 1,
      optimizer: { kind: optimizer }, learningRate: 0.01, checkpoints: { store: new MemoryCheckpointStore(), every: 2 },
    });
    return { model, trainer };
  };

  it('refuses a checkpoint of another model or optimizer, naming what differs', async () => {
    await expectNoLeaks(async () => {
      const a = make(4, 'adam');
      await a.trainer.run({ until: 2 });
      const blob = await a.trainer.checkpoint();
      const b = make(5, 'adam');
      await expect(b.trainer.restore(blob)).rejects.toThrow(/holds parameters .*recurrentKernel \[4, 16\].*but this model has .*recurrentKernel \[5, 20\]/);
      const c = make(4, 'rmsprop');
      await expect(c.trainer.restore(blob)).rejects.toThrow(/was written with optimizer \{"kind":"adam".*but this trainer uses \{"kind":"rmsprop"/);
      for (const t of [a, b, c]) {
        t.trainer.dispose();
        t.model.dispose();
      }
    });
  });

  it('refuses to restore into a trainer that has already trained', async () => {
    await expectNoLeaks(async () => {
      const a = make(4, 'adam');
      await a.trainer.run({ until: 1 });
      await expect(a.trainer.restore(await a.trainer.checkpoint())).rejects.toThrow(/already trained or restored; restore into a fresh Trainer/);
      a.trainer.dispose();
      a.model.dispose();
    });
  });
});
