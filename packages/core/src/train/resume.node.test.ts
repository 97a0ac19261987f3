/**
 * Kill and resume (Node: checkpoints on disk). A run killed at arbitrary steps — by an exception
 * thrown mid-run, and by a crash between writing a checkpoint's temp file and renaming it — and
 * resumed from its last checkpoint into freshly built (differently initialised) variables must
 * reproduce the uninterrupted run exactly: same losses, gradient norms, learning rates,
 * validation losses and final weights, with dropout, a warm-up + cosine schedule, Adam, clipping,
 * gradient-flow measurements and state carried across batches and reset at epoch boundaries.
 * Exact equality holds on cpu and wasm, whose kernels are deterministic.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { describeBackends, expectNoLeaks } from '../testing/index.js';
import { FileCheckpointStore, type AtomicWriteHooks } from './checkpoint-fs.js';
import { decodeCheckpoint } from './checkpoint.js';
import { Trainer } from './trainer.js';
import { cosineDecay, warmup } from './schedules.js';
import { TokenStreams } from './streams.js';
import { tinyLm } from './tasks/tiny-lm.js';
import { Rng } from './rng.js';

const STEPS = 24;
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

// 400 tokens in 4 streams of 99: 9 batches of 10 steps per epoch, so 24 steps cross two state resets.
const rng = new Rng(2024);
const ids = Int32Array.from({ length: 400 }, () => rng.int(16));
const validIds = Int32Array.from({ length: 200 }, () => rng.int(16));

interface Record {
  step: number;
  loss: number;
  gradNorm: number;
  learningRate: number;
}

/** One trainer over fresh variables (`init` seeds them); `killAt` throws from onStep at that step. */
function build(store: FileCheckpointStore, init: number, log: Record[], validation: number[], killAt?: number) {
  const model = tinyLm({ vocab: 16, embedding: 6, hidden: 12, seed: init, dropout: 0.25 });
  const trainer = new Trainer({
    model, data: new TokenStreams(ids, { batch: 4, steps: 10 }), steps: STEPS, seed: 77,
    optimizer: { kind: 'adam', epsilon: 1e-8 }, learningRate: warmup(4, cosineDecay({ initial: 0.02, steps: 20, final: 0.002 })), clipNorm: 1,
    validation: { data: new TokenStreams(validIds, { batch: 2, steps: 10 }), batches: 3, every: 6 },
    checkpoints: { store, every: 5 }, gradientFlowEvery: 4,
    callbacks: [{
      onStep: (m) => {
        if (m.step === killAt) throw new Error(`killed at step ${killAt}`);
        log.push({ step: m.step, loss: m.loss, gradNorm: m.gradNorm, learningRate: m.learningRate });
      },
      onValidation: (v) => void validation.push(v.step, v.loss),
    }],
  });
  return { model, trainer };
}

/** Keeps the last record per step, as a reader of a resumed run's log does. */
const lastPerStep = (log: Record[]) => [...new Map(log.map((r) => [r.step, r])).values()].sort((a, b) => a.step - b.step);

async function newStore(hooks?: AtomicWriteHooks) {
  const dir = await mkdtemp(join(tmpdir(), 'recurrent-resume-'));
  dirs.push(dir);
  return new FileCheckpointStore(dir, hooks);
}

async function straightRun() {
  const log: Record[] = [];
  const validation: number[] = [];
  const { model, trainer } = build(await newStore(), 1, log, validation);
  await trainer.run();
  const weights = await Promise.all(Object.values(model.params).map(async (v) => Array.from(await v.data())));
  trainer.dispose();
  model.dispose();
  return { log, validation, weights };
}

describeBackends('kill and resume', () => {
  it('a run killed three times and resumed each time reproduces the uninterrupted run exactly', async () => {
    await expectNoLeaks(async () => {
      const straight = await straightRun();
      expect(straight.log.map((r) => r.step)).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));

      const store = await newStore();
      const log: Record[] = [];
      const validation: number[] = [];
      const resumedAt: number[] = [];
      let weights: number[][] = [];
      for (const [attempt, killAt] of [7, 13, 19, undefined].entries()) {
        // The first attempt starts like the straight run; resumed ones from other initial weights, so
        // whatever the checkpoint fails to restore shows up as a difference.
        const { model, trainer } = build(store, attempt === 0 ? 1 : 100 + attempt, log, validation, killAt);
        if (attempt === 0) expect(await trainer.resume()).toBe(false);
        else {
          expect(await trainer.resume()).toBe(true);
          resumedAt.push(trainer.step);
        }
        if (killAt !== undefined) await expect(trainer.run()).rejects.toThrow(`killed at step ${killAt}`);
        else {
          const summary = await trainer.run();
          expect(summary).toMatchObject({ step: STEPS, reason: 'completed' });
          weights = await Promise.all(Object.values(model.params).map(async (v) => Array.from(await v.data())));
        }
        // "Kill": drop the trainer and the model; nothing survives but the files.
        trainer.dispose();
        model.dispose();
      }
      expect(resumedAt).toEqual([5, 10, 15]); // the last checkpoint before each kill (every 5 steps)
      expect(lastPerStep(log)).toEqual(straight.log); // exact: losses, ‖g‖, learning rates
      const lastValidation = new Map<number, number>();
      for (let i = 0; i < validation.length; i += 2) lastValidation.set(validation[i]!, validation[i + 1]!);
      expect([...lastValidation.entries()].flat()).toEqual(straight.validation);
      expect(weights).toEqual(straight.weights);
    });
  });

  it('a crash between writing a checkpoint and renaming it leaves the previous one intact and resumable', async () => {
    await expectNoLeaks(async () => {
      const straight = await straightRun();
      let lastWrites = 0;
      const crash: AtomicWriteHooks = {
        beforeRename: (temp) => {
          // The third write of "last" (steps 5, 10, 15) dies after its temp file is written, before the rename.
          if (temp.includes('last.ckpt.tmp-') && ++lastWrites === 3) throw new Error('power cut');
        },
      };
      const store = await newStore(crash);
      const log: Record[] = [];
      const first = build(store, 1, log, []);
      await expect(first.trainer.run()).rejects.toThrow('power cut');
      first.trainer.dispose();
      first.model.dispose();
      const stray = (await readdir(store.dir)).filter((n) => n.includes('.tmp-'));
      expect(stray.length).toBe(1); // the unrenamed temp file of the interrupted write
      await writeFile(join(store.dir, 'last.ckpt.tmp-999-x-0'), 'half a checkpoint'); // and a torn one from an earlier death
      // The step-10 checkpoint was moved aside to last.prev before the step-15 write began; that
      // write died, so there is no last.ckpt and resume falls back to last.prev.
      expect(await store.read('last')).toBeUndefined();
      const previous = decodeCheckpoint((await store.read('last.prev'))!);
      expect(previous.meta.step).toBe(10);

      const resumedStore = new FileCheckpointStore(store.dir);
      const second = build(resumedStore, 5, log, []);
      const resumes: unknown[] = [];
      second.trainer.config.callbacks!.push({ onResume: (e) => void resumes.push(e) });
      expect(await second.trainer.resume()).toBe(true);
      expect(second.trainer.step).toBe(10);
      expect(resumes).toEqual([{ step: 10, name: 'last.prev', location: join(store.dir, 'last.prev.ckpt'), rejected: [] }]);
      await second.trainer.run();
      second.trainer.dispose();
      second.model.dispose();
      expect(lastPerStep(log)).toEqual(straight.log);
      expect((await readdir(store.dir)).filter((n) => n.includes('.tmp-'))).toEqual([]); // later writes swept the strays
      expect((await readdir(store.dir)).sort()).toEqual(['best.ckpt', 'last.ckpt', 'last.prev.ckpt']); // best written once after the resume
    });
  });
}, { only: ['cpu', 'wasm'] });
