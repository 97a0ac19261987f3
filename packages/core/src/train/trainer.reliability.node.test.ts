/**
 * The Trainer under faults (Node: checkpoints on disk): a damaged or truncated checkpoint is
 * detected by its hash and the previous one is used, saying which file was bad; a checkpoint that
 * cannot be written (a folder path through a regular file, a full disk) stops training with the
 * location, the cause and the fix instead of training on without checkpoints; an AbortSignal
 * (what a SIGINT handler aborts) finishes the step, saves, and the resumed run reproduces the
 * uninterrupted one; NaN/Inf weights and gradients are reported with the parameter's name.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { describeBackends, expectNoLeaks } from '../testing/index.js';
import { FileCheckpointStore } from './checkpoint-fs.js';
import { encodeCheckpoint, MemoryCheckpointStore, type CheckpointStore } from './checkpoint.js';
import { Trainer } from './trainer.js';
import { TokenStreams } from './streams.js';
import { tinyLm } from './tasks/tiny-lm.js';
import { Rng } from './rng.js';
import type { NonFiniteEvent, ResumeEvent, TrainerCallback } from './trainer-types.js';
import type { TrainData, TrainModel } from './task.js';

const STEPS = 12;
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'recurrent-reliability-'));
  dirs.push(dir);
  return dir;
}

const rng = new Rng(7);
const ids = Int32Array.from({ length: 300 }, () => rng.int(10));

/** A tiny LM trainer checkpointing every 4 steps into `store`; `init` seeds its weights. */
function build(store: CheckpointStore, init: number, callbacks: TrainerCallback[] = [], signal?: AbortSignal) {
  const model = tinyLm({ vocab: 10, embedding: 4, hidden: 6, seed: init });
  const trainer = new Trainer({
    model, data: new TokenStreams(ids, { batch: 3, steps: 8 }), steps: STEPS, seed: 3,
    optimizer: { kind: 'adam' }, learningRate: 0.01, clipNorm: 1,
    checkpoints: { store, every: 4, keepBest: false }, callbacks, ...(signal ? { signal } : {}),
  });
  return { model, trainer, done: () => (trainer.dispose(), model.dispose()) };
}

const losses = (into: Map<number, number>): TrainerCallback => ({ onStep: (m) => void into.set(m.step, m.loss) });

async function straightLosses(): Promise<number[]> {
  const log = new Map<number, number>();
  const run = build(new MemoryCheckpointStore(), 1, [losses(log)]);
  await run.trainer.run();
  run.done();
  return [...log.values()];
}

describeBackends('trainer reliability', () => {
  it('a damaged or truncated last checkpoint is detected and the previous one is used, naming both', async () => {
    await expectNoLeaks(async () => {
      const straight = await straightLosses();
      for (const damage of ['flip a byte', 'truncate'] as const) {
        const store = new FileCheckpointStore(await tempDir());
        const first = build(store, 1);
        await first.trainer.run({ until: 8 }); // "last" at step 8, "last.prev" at step 4
        first.done();
        const path = store.path('last');
        if (damage === 'truncate') await truncate(path, (await readFile(path)).length - 10);
        else {
          const bytes = await readFile(path);
          bytes[bytes.length - 5]! ^= 0x10;
          await writeFile(path, bytes);
        }
        const log = new Map<number, number>();
        const resumes: ResumeEvent[] = [];
        const second = build(store, 99, [losses(log), { onResume: (e) => void resumes.push(e) }]);
        expect(await second.trainer.resume()).toBe(true);
        expect(second.trainer.step).toBe(4);
        expect(resumes.length).toBe(1);
        expect(resumes[0]).toMatchObject({ step: 4, name: 'last.prev', location: store.path('last.prev') });
        expect(resumes[0]!.rejected.map((r) => [r.name, r.location])).toEqual([['last', path]]);
        expect(resumes[0]!.rejected[0]!.reason).toMatch(/last\.ckpt is not a valid checkpoint \(hash mismatch: the blob was cut short or altered\)/);
        await second.trainer.run();
        second.done();
        expect([...log.entries()].sort((a, b) => a[0] - b[0]).map(([, l]) => l), damage).toEqual(straight.slice(4)); // exact
      }
    });
  });

  it('when every checkpoint is damaged, resume refuses naming each file; when none exists it starts afresh', async () => {
    await expectNoLeaks(async () => {
      const store = new FileCheckpointStore(await tempDir());
      const run = build(store, 1);
      expect(await run.trainer.resume()).toBe(false);
      run.done();
      await writeFile(store.path('last'), 'RCKPT garbage');
      await writeFile(store.path('last.prev'), new Uint8Array(0));
      const again = build(store, 1);
      const error = await again.trainer.resume().catch((e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).name).toBe('CorruptCheckpointError');
      expect((error as Error).message).toContain(`${store.path('last')} is not a valid checkpoint`);
      expect((error as Error).message).toContain(`${store.path('last.prev')} is not a valid checkpoint`);
      expect((error as Error).message).toMatch(/Start afresh \(delete them\) or restore a backup/);
      expect(again.trainer.step).toBe(0);
      again.done();
    });
  });

  it('an unwritable checkpoint folder stops training at the first checkpoint with the path and the fix', async () => {
    await expectNoLeaks(async () => {
      // Root ignores permissions, so make the folder impossible: its parent is a regular file.
      const file = join(await tempDir(), 'not-a-folder');
      await writeFile(file, 'x');
      const store = new FileCheckpointStore(join(file, 'checkpoints'));
      const log = new Map<number, number>();
      const run = build(store, 1, [losses(log)]);
      await expect(run.trainer.run()).rejects.toThrow(
        new RegExp(`cannot write checkpoint "last" at step 4 to ${store.path('last')}: a part of the folder path is a file \\(ENOTDIR.*Training stopped rather than go on without checkpoints; free disk space or choose a writable checkpoint folder, then resume`),
      );
      expect([...log.keys()]).toEqual([1, 2, 3, 4]); // no step after the failed checkpoint
      run.done();
    });
  });

  it('a full disk (an injected ENOSPC) stops training; the previous checkpoint stays readable', async () => {
    await expectNoLeaks(async () => {
      const inner = new MemoryCheckpointStore();
      let writes = 0;
      const full: CheckpointStore = {
        read: (n) => inner.read(n),
        move: (a, b) => inner.move(a, b),
        async write(name, blob) {
          if (++writes === 2) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
          await inner.write(name, blob);
        },
      };
      const log = new Map<number, number>();
      const run = build(full, 1, [losses(log)]);
      await expect(run.trainer.run()).rejects.toThrow(/cannot write checkpoint "last" at step 8 to "last": the disk is full \(ENOSPC: no space left on device/);
      expect(Math.max(...log.keys())).toBe(8);
      run.done();
      const resumed = build(full, 5);
      expect(await resumed.trainer.resume()).toBe(true); // last was moved to last.prev before the failed write
      expect(resumed.trainer.step).toBe(4);
      resumed.done();
    });
  });

  it('an aborted signal finishes the step, saves "last" and returns "interrupted"; the resumed run reproduces the straight one', async () => {
    await expectNoLeaks(async () => {
      const straight = await straightLosses();
      const store = new MemoryCheckpointStore();
      const controller = new AbortController();
      const log = new Map<number, number>();
      const abortAt: TrainerCallback = { onStep: (m) => void (m.step === 6 ? controller.abort() : undefined) };
      const first = build(store, 1, [losses(log), abortAt], controller.signal);
      const summary = await first.trainer.run();
      expect(summary).toMatchObject({ step: 6, reason: 'interrupted' });
      first.done();
      const second = build(store, 42, [losses(log)]);
      expect(await second.trainer.resume()).toBe(true);
      expect(second.trainer.step).toBe(6); // saved at the interrupted step, not at the last multiple of 4
      await second.trainer.run();
      second.done();
      expect([...log.values()]).toEqual(straight);
      // Already aborted before the run: no step at all, but still a clean stop.
      const third = build(new MemoryCheckpointStore(), 1, [], AbortSignal.abort());
      expect(await third.trainer.run()).toMatchObject({ step: 0, reason: 'interrupted' });
      third.done();
    });
  });

  it('NaN/Inf weights are refused before the first step, and NaN gradients are reported by parameter name', async () => {
    await expectNoLeaks(async () => {
      const a = tf.tidy(() => tf.variable(tf.tensor1d([1, 2]), true, 'rel-a'));
      const b = tf.tidy(() => tf.variable(tf.tensor1d([0.5, Infinity]), true, 'rel-b'));
      // loss = Σ (a ⊙ x)² + Σ b²: x poisoned with NaN at step 2 makes ∂/∂a NaN, ∂/∂b finite.
      const model: TrainModel<tf.Tensor1D> = { params: { a, b }, loss: (x) => ({ loss: tf.add(tf.sum(tf.square(tf.mul(a, x))), tf.sum(tf.square(b))) as tf.Scalar }) };
      const data: TrainData<tf.Tensor1D> = { batch: (p) => tf.tensor1d(p === 1 ? [Number.NaN, 1] : [1, 1]) };
      const events: NonFiniteEvent[] = [];
      const make = () => new Trainer({ model, data, steps: 3, seed: 1, optimizer: { kind: 'sgd' }, learningRate: 0.01, callbacks: [{ onNonFinite: (e) => void events.push(e) }] });
      const refused = make();
      await expect(refused.run()).rejects.toThrow('Trainer: parameter "b" holds NaN or Inf before step 1; initialise it with finite values (or resume from a good checkpoint)');
      refused.dispose();
      tf.tidy(() => b.assign(tf.tensor1d([0.5, 0.25])));
      const trainer = make();
      const summary = await trainer.run();
      trainer.dispose();
      expect(summary).toMatchObject({ step: 3, skipped: 1 });
      expect(events.map((e) => [e.step, e.nonFiniteGradients, e.nonFiniteWeights])).toEqual([[2, ['a'], []]]);
      tf.dispose([a, b]);
    });
  });

  it('a checkpoint holding NaN weights is refused before anything is assigned', async () => {
    await expectNoLeaks(async () => {
      const run = build(new MemoryCheckpointStore(), 1);
      await run.trainer.run({ until: 2 });
      const blob = await run.trainer.checkpoint();
      run.done();
      const { decodeCheckpoint } = await import('./checkpoint.js');
      const data = decodeCheckpoint(blob);
      const arrays = data.arrays.map((x) => (x.name.endsWith('recurrentKernel') ? { ...x, data: Float32Array.from(x.data, (v, i) => (i === 3 ? Number.NaN : v)) } : x));
      const fresh = build(new MemoryCheckpointStore(), 9);
      const before = await Promise.all(Object.values(fresh.model.params).map(async (v) => Array.from(await v.data())));
      await expect(fresh.trainer.restore(encodeCheckpoint({ meta: data.meta, arrays }))).rejects.toThrow(/holds NaN in param\/\S*recurrentKernel at flat index 3: it was saved from a run that diverged/);
      const after = await Promise.all(Object.values(fresh.model.params).map(async (v) => Array.from(await v.data())));
      expect(after).toEqual(before);
      fresh.done();
    });
  });
}, { only: ['cpu', 'wasm'] });
