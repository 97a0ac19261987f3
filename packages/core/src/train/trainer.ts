/**
 * The Trainer: a custom training loop for recurrent models.
 *
 * Each step: draw the batch at the current data position; forward from the carried state and
 * take our BPTT gradients with `tf.variableGrads`; measure ‖g‖; clip (by value, then by global
 * norm); check the loss and ‖g‖ are finite and, if so, let the `tf.train` optimizer apply the
 * step; carry the new recurrent state into the next batch as a constant (truncated BPTT:
 * gradients never cross a batch boundary). Around the steps: learning-rate schedules, validation
 * at intervals with best-loss tracking and early stopping, atomic checkpoints from which a killed
 * run resumes bit-for-bit, gradient-flow measurements, and callbacks for progress and metrics.
 *
 * @example
 * ```ts
 * const trainer = new Trainer({
 *   model: { params: charLstm.variables, loss: (b, s) => charLstm.loss(b.x, b.y, s ?? charLstm.zeroState(32)) },
 *   data: new TokenStreams(trainIds, { batch: 32, steps: 64 }),
 *   steps: 5000, seed: 1,
 *   optimizer: { kind: 'adam', epsilon: 1e-8 },
 *   learningRate: schedules.warmup(100, schedules.cosineDecay({ initial: 2e-3, steps: 4900 })),
 *   clipNorm: 5,
 *   validation: { data: new TokenStreams(validIds, { batch: 32, steps: 64 }), batches: 20, every: 250 },
 *   checkpoints: { store: new FileCheckpointStore('runs/charlm'), every: 250 },
 *   callbacks: [progressBar()],
 * });
 * await trainer.resume();            // continues from runs/charlm/last.ckpt if a previous run left one
 * const summary = await trainer.run();
 * trainer.dispose();
 * ```
 */
import * as tf from '@tensorflow/tfjs-core';
import { clipByGlobalNorm, clipByValue, globalNorm, type GradientMap } from './clip.js';
import { CorruptCheckpointError, decodeCheckpoint, describeLocation, encodeCheckpoint, previousName, rotateCheckpoint } from './checkpoint.js';
import { disposeTree, measureGradientFlow, StepContext, type GradientFlow } from './context.js';
import { createOptimizer, disposeOptimizer, resolveOptimizerConfig, setLearningRate, type ResolvedOptimizerConfig } from './optimizers.js';
import { Rng } from './rng.js';
import { toSchedule, type LearningRateSchedule } from './schedules.js';
import { collectTensors, paramEntries, type LossResult, type StateTree, type TrainData } from './task.js';
import { freshCounters, restore, snapshot, type TrainerCounters } from './trainer-checkpoint.js';
import { checkpointWriteError, nonFiniteNames, YIELD_EVERY_MS, yieldToEventLoop } from './faults.js';
import type { ResumeEvent, RunSummary, StepMetrics, StopReason, TrainerCallback, TrainerConfig } from './trainer-types.js';

const now = () => performance.now();

export class Trainer<B, S extends StateTree = StateTree> {
  /** The trainer's seeded generator (checkpointed). */
  readonly rng: Rng;
  private readonly params: [string, tf.Variable][];
  private readonly optimizerConfig: ResolvedOptimizerConfig;
  private readonly schedule: LearningRateSchedule;
  private optimizer: tf.Optimizer;
  private lr: number | undefined;
  private carried: S | undefined;
  private counters: TrainerCounters = freshCounters();
  private stopReason: StopReason | undefined;
  private resumed = false;
  private lastNonFinite: { gradients: string[]; weights: string[] } = { gradients: [], weights: [] };

  constructor(readonly config: TrainerConfig<B, S>) {
    const c = config;
    const int = (name: string, v: number | undefined, min: number) => {
      if (v !== undefined && !(Number.isInteger(v) && v >= min)) throw new Error(`Trainer: ${name} must be an integer ≥ ${min}, got ${v}`);
    };
    int('steps', c.steps, 1);
    int('validation.every', c.validation?.every, 1);
    int('validation.batches', c.validation?.batches, 1);
    int('checkpoints.every', c.checkpoints?.every, 1);
    int('earlyStopping.patience', c.earlyStopping?.patience, 1);
    int('maxConsecutiveNonFinite', c.maxConsecutiveNonFinite, 1);
    int('gradientFlowEvery', c.gradientFlowEvery, 1);
    for (const k of ['clipNorm', 'clipValue', 'timeLimitSeconds'] as const) {
      const v = c[k];
      if (v !== undefined && !(v > 0 && Number.isFinite(v))) throw new Error(`Trainer: ${k} must be a positive finite number, got ${v}`);
    }
    if (c.earlyStopping && !c.validation) throw new Error('Trainer: earlyStopping needs validation (it watches the validation loss)');
    this.params = paramEntries(c.model.params);
    this.optimizerConfig = resolveOptimizerConfig(c.optimizer);
    this.schedule = toSchedule(c.learningRate);
    this.rng = new Rng(c.seed);
    this.optimizer = createOptimizer(this.optimizerConfig, this.schedule(0));
  }

  /** Steps done (the data position of the next batch). */
  get step(): number {
    return this.counters.step;
  }

  /** A copy of the counters: updates, skipped steps, clip count, best validation loss… */
  get stats(): Readonly<TrainerCounters> {
    return { ...this.counters };
  }

  /** Ends the run after the current step (from a callback, a signal handler…). */
  stop(): void {
    this.stopReason = 'requested';
  }

  /**
   * Trains until the planned steps are done, `until` steps are done, early stopping or the NaN
   * guard ends it, {@link stop} is called or `config.signal` is aborted. Saves "last" at the end
   * when checkpoints are on. Rejects, before the first step, weights holding a NaN or Inf (one
   * host read per run, naming the parameter); and rejects when a checkpoint cannot be written,
   * rather than train on without one.
   */
  async run(options: { until?: number } = {}): Promise<RunSummary> {
    const c = this.config;
    const until = Math.min(options.until ?? Infinity, c.steps);
    this.stopReason = undefined;
    const badWeights = await nonFiniteNames(this.params.map(([name, v]) => [name, v]));
    if (badWeights.length > 0) {
      const many = badWeights.length > 1;
      throw new Error(`Trainer: parameter${many ? 's' : ''} ${badWeights.map((n) => `"${n}"`).join(', ')} ${many ? 'hold' : 'holds'} NaN or Inf before step ${this.step + 1}; initialise ${many ? 'them' : 'it'} with finite values (or resume from a good checkpoint)`);
    }
    await this.emit('onStart', { step: this.step, totalSteps: c.steps, resumed: this.resumed, tokensPerStep: c.data.tokensPerBatch ?? 1 });
    const start = now();
    let savedAt = this.resumed ? this.step : -1;
    let reason: StopReason | undefined;
    let yielded = now();
    while (reason === undefined) {
      if (now() - yielded >= YIELD_EVERY_MS) {
        await yieldToEventLoop(); // a signal handler may abort here: checked just below
        yielded = now();
      }
      if (this.step >= c.steps) reason = 'completed';
      else if (this.step >= until) reason = 'until';
      else if (c.signal?.aborted === true) reason = 'interrupted';
      if (reason !== undefined) break;
      const m = await this.trainStep(start);
      await this.emit('onStep', m);
      if (m.skipped) {
        const limit = c.maxConsecutiveNonFinite ?? 5;
        const stopping = this.counters.consecutiveNonFinite >= limit;
        await this.emit('onNonFinite', {
          step: m.step, loss: m.loss, gradNorm: m.gradNorm, consecutive: this.counters.consecutiveNonFinite, stopping,
          nonFiniteGradients: this.lastNonFinite.gradients, nonFiniteWeights: this.lastNonFinite.weights,
        });
        if (stopping) reason = 'non-finite';
      }
      const v = c.validation;
      if (v && (this.step % v.every === 0 || this.step === c.steps) && (await this.validate())) reason ??= 'early-stopping';
      if (c.checkpoints && this.step % c.checkpoints.every === 0) {
        await this.save('last');
        savedAt = this.step;
      }
      if (c.timeLimitSeconds !== undefined && m.elapsed >= c.timeLimitSeconds) reason ??= 'time-limit';
      reason ??= this.stopReason ?? (c.signal?.aborted === true ? 'interrupted' : undefined);
    }
    if (c.checkpoints && savedAt !== this.step) await this.save('last');
    const k = this.counters;
    const summary: RunSummary = {
      step: k.step, reason, updates: k.updates, skipped: k.skipped, clipCount: k.clipCount,
      bestValidationLoss: Number.isFinite(k.bestValidationLoss) ? k.bestValidationLoss : undefined, bestStep: k.bestStep,
    };
    await this.emit('onEnd', summary);
    return summary;
  }

  private async trainStep(runStart: number): Promise<StepMetrics> {
    const t0 = now();
    const { model, data } = this.config;
    const step = this.step;
    const lr = this.schedule(step);
    if (lr !== this.lr) setLearningRate(this.optimizer, (this.lr = lr));
    if (data.resetsState?.(step)) this.adoptState(undefined);
    const batch = data.batch(step, this.rng);
    let next: S | undefined;
    const held: tf.Tensor[] = [];
    try {
      const every = this.config.gradientFlowEvery;
      let flow: GradientFlow | undefined;
      if (every !== undefined && step % every === 0) flow = await measureGradientFlow(model, batch, this.carried, this.rng, step);
      const ctx = new StepContext({ training: true, step, rng: this.rng });
      const { value, grads } = tf.variableGrads(() => {
        const r = model.loss(batch, this.carried, ctx);
        if (r.state !== undefined) {
          for (const t of collectTensors(r.state)) tf.keep(t);
          next = r.state;
        }
        return r.loss;
      }, this.params.map(([, v]) => v));
      held.push(value, ...Object.values(grads));
      const out = tf.tidy(() => this.transformGradients(value, grads));
      held.push(out.stats, ...out.list);
      const [loss, gradNorm, fired] = Array.from(await out.stats.data()) as [number, number, number];
      const finite = Number.isFinite(loss) && Number.isFinite(gradNorm);
      const k = this.counters;
      if (finite) {
        // Gradients as a list in parameter order: tfjs matches moments to variables by position.
        this.optimizer.applyGradients(this.params.map(([, v], i) => ({ name: v.name, tensor: out.list[i]! })));
        k.updates++;
        k.consecutiveNonFinite = 0;
        if (fired === 1) k.clipCount++;
        this.adoptState(next);
        next = undefined;
      } else {
        // Skip the update; the carried state may be poisoned too, so start the next batch fresh.
        // Name the culprits: a host read, but only on this (rare) path, never on a healthy step.
        this.lastNonFinite = {
          gradients: await nonFiniteNames(this.params.map(([name, v]) => [name, grads[v.name]])),
          weights: await nonFiniteNames(this.params.map(([name, v]) => [name, v])),
        };
        k.skipped++;
        k.consecutiveNonFinite++;
        this.adoptState(undefined);
      }
      k.step++;
      const t1 = now();
      return {
        step: k.step, totalSteps: this.config.steps, loss, gradNorm, clipped: finite && fired === 1, clipCount: k.clipCount,
        learningRate: lr, skipped: !finite, tokens: data.tokensPerBatch ?? 1, seconds: (t1 - t0) / 1000, elapsed: (t1 - runStart) / 1000,
        ...(flow ? { gradientFlow: flow } : {}),
      };
    } finally {
      disposeTree(next);
      tf.dispose(held);
      disposeTree(batch);
    }
  }

  /** Raw norm, value clipping, global-norm clipping; the gradients as a list in parameter order. */
  private transformGradients(value: tf.Scalar, grads: tf.NamedTensorMap): { stats: tf.Tensor1D; list: tf.Tensor[] } {
    const raw: GradientMap = {};
    // A parameter the loss did not reach gets a zero gradient, so every step updates the same list.
    for (const [, v] of this.params) raw[v.name] = grads[v.name] ?? tf.zerosLike(v);
    const norm = globalNorm(raw);
    let g = this.config.clipValue !== undefined ? clipByValue(raw, this.config.clipValue) : raw;
    let fired: tf.Scalar = tf.scalar(0);
    if (this.config.clipNorm !== undefined) {
      const c = clipByGlobalNorm(g, this.config.clipNorm);
      g = c.grads;
      fired = tf.cast(c.clipped, 'float32');
    }
    return { stats: tf.stack([value, norm, fired]) as tf.Tensor1D, list: this.params.map(([, v]) => g[v.name]!) };
  }

  /** Replaces the carried state, freeing the tensors of the old one that the new one does not reuse. */
  private adoptState(next: S | undefined): void {
    const keep = new Set(collectTensors(next));
    tf.dispose(collectTensors(this.carried).filter((t) => !keep.has(t)));
    this.carried = next;
  }

  /** Evaluates, tracks the best loss (saving "best"), and returns true when early stopping fires. */
  private async validate(): Promise<boolean> {
    const v = this.config.validation!;
    const loss = await this.evaluate(v.data, v.batches, v.seed ?? 0);
    const k = this.counters;
    const minDelta = this.config.earlyStopping?.minDelta ?? 0;
    const improved = loss < k.bestValidationLoss - minDelta;
    if (improved) {
      k.bestValidationLoss = loss;
      k.bestStep = k.step;
      k.sinceImprovement = 0;
    } else k.sinceImprovement++;
    await this.emit('onValidation', { step: k.step, loss, best: k.bestValidationLoss, improved, sinceImprovement: k.sinceImprovement });
    const ck = this.config.checkpoints;
    if (improved && ck && ck.keepBest !== false) await this.save('best');
    const patience = this.config.earlyStopping?.patience;
    return patience !== undefined && k.sinceImprovement >= patience;
  }

  /**
   * The mean loss over the first `batches` batches of `data` (state carried between them, dropout
   * off, a generator seeded with `seed`): the same batches every call, the training generator
   * untouched.
   */
  async evaluate(data: TrainData<B>, batches: number, seed = 0): Promise<number> {
    const rng = new Rng(seed);
    let state: S | undefined;
    let total = 0;
    try {
      for (let p = 0; p < batches; p++) {
        if (data.resetsState?.(p)) {
          disposeTree(state);
          state = undefined;
        }
        const batch = data.batch(p, rng);
        const ctx = new StepContext({ training: false, step: this.step, rng });
        let out: LossResult<S> | undefined;
        const loss = tf.tidy(() => {
          out = this.config.model.loss(batch, state, ctx);
          for (const t of collectTensors(out.state)) tf.keep(t);
          return out.loss;
        });
        const keep = new Set(collectTensors(out!.state));
        tf.dispose(collectTensors(state).filter((t) => !keep.has(t)));
        disposeTree(batch);
        state = out!.state;
        total += (await loss.data())[0]!;
        loss.dispose();
      }
    } finally {
      disposeTree(state);
    }
    return total / batches;
  }

  /**
   * Writes a checkpoint named `name` to the configured store, keeping the one it replaces as
   * `<name>.prev`; returns its size in bytes. A store that cannot write (full disk, unwritable
   * folder) makes it reject with the location, the cause and the fix — and so ends `run`.
   */
  async save(name = 'last'): Promise<number> {
    const store = this.config.checkpoints?.store;
    if (!store) throw new Error('Trainer.save: no checkpoint store configured (config.checkpoints.store)');
    const blob = encodeCheckpoint(await snapshot(this.parts()));
    try {
      await rotateCheckpoint(store, name);
      await store.write(name, blob);
    } catch (error) {
      throw checkpointWriteError(error, name, this.step, describeLocation(store, name));
    }
    await this.emit('onCheckpoint', { step: this.step, name, bytes: blob.length });
    return blob.length;
  }

  /** The checkpoint blob of the current state (to keep it elsewhere). */
  async checkpoint(): Promise<Uint8Array> {
    return encodeCheckpoint(await snapshot(this.parts()));
  }

  /**
   * Continues from checkpoint `name` of the configured store, if there is one (returns false
   * otherwise). When `name` is missing or damaged (bad hash, cut short) but `<name>.prev` is
   * good, continues from that and reports both in `onResume`; when both are damaged, rejects
   * naming both. Call on a fresh trainer, before `run`.
   */
  async resume(name = 'last'): Promise<boolean> {
    const store = this.config.checkpoints?.store;
    if (!store) throw new Error('Trainer.resume: no checkpoint store configured (config.checkpoints.store)');
    const rejected: ResumeEvent['rejected'] = [];
    for (const candidate of [name, previousName(name)]) {
      const location = describeLocation(store, candidate);
      const blob = await store.read(candidate);
      if (blob === undefined) continue;
      try {
        await this.restore(blob, `checkpoint ${location}`);
      } catch (error) {
        if (!(error instanceof CorruptCheckpointError)) throw error;
        rejected.push({ name: candidate, location, reason: error.message });
        continue;
      }
      await this.emit('onResume', { step: this.step, name: candidate, location, rejected });
      return true;
    }
    if (rejected.length > 0) {
      throw new CorruptCheckpointError(`Trainer.resume: no usable checkpoint: ${rejected.map((r) => r.reason).join('; ')}. Start afresh (delete them) or restore a backup.`);
    }
    return false;
  }

  /** Restores a checkpoint blob into this (fresh) trainer and its model's variables. */
  async restore(blob: Uint8Array, what = 'checkpoint'): Promise<void> {
    if (this.step > 0 || this.resumed) throw new Error('Trainer.restore: this trainer has already trained or restored; restore into a fresh Trainer');
    disposeOptimizer(this.optimizer); // setWeights needs an optimizer that has not stepped
    this.optimizer = createOptimizer(this.optimizerConfig, this.schedule(0));
    this.lr = undefined;
    const r = await restore(decodeCheckpoint(blob, what), { params: this.params, optimizer: this.optimizer, optimizerConfig: this.optimizerConfig }, what);
    this.counters = r.counters;
    this.rng.state = r.rngState;
    this.adoptState(r.carried as S | undefined);
    this.resumed = true;
  }

  private parts() {
    return { params: this.params, optimizer: this.optimizer, optimizerConfig: this.optimizerConfig, rngState: this.rng.state, counters: this.counters, carried: this.carried };
  }

  private async emit<K extends keyof TrainerCallback>(hook: K, event: Parameters<NonNullable<TrainerCallback[K]>>[0]): Promise<void> {
    for (const cb of this.config.callbacks ?? []) {
      const f = cb[hook] as ((e: typeof event) => void | Promise<void>) | undefined;
      if (f) await f.call(cb, event);
    }
  }

  /** Frees the optimizer and the carried state (not the model's variables: they are the caller's). */
  dispose(): void {
    disposeOptimizer(this.optimizer);
    this.adoptState(undefined);
  }
}
