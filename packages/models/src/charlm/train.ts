/**
 * The char-rnn recipe on the core Trainer: the vocabulary of the text, a train/validation split of
 * the last 10% (char-rnn's users compare on such a split), char-rnn's parallel streams for
 * truncated BPTT (state carried across batches, gradients cut at their boundaries), Adam with a
 * constant, cosine or step schedule, global-norm clipping, seeded dropout, periodic validation with
 * a sample line, atomic checkpoints with exact resume, and the loss curves as an SVG.
 *
 * A time budget is turned into a step count by timing one training step on this machine first
 * (so the progress bar's ETA and the cosine schedule know the length of the run), with a 25%
 * margin; the Trainer's time limit then ends the run at the budget.
 *
 * Files go through the core's lazily loaded, atomic file helpers, so importing this module is
 * harmless in a browser (training there works without checkpointDir and svgPath).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  FileCheckpointStore, MetricsHistory, progressBar, Rng, schedules, StepContext, TokenStreams, Trainer, trainingCurves, atomicWriteFile, fileLines, jsonLines,
  type LearningRateSchedule, type RunSummary, type TextOutput, type TokenBatch, type TrainData, type TrainerCallback,
} from '@recurrent/core';
import { splitLast } from './data.js';
import { CharRnn, type CharCell, type CharRnnConfig } from './model.js';
import { sampleText } from './sample.js';
import { Vocabulary } from './vocab.js';

export const SCHEDULES = ['constant', 'cosine', 'step'] as const;
export type ScheduleName = (typeof SCHEDULES)[number];

export interface CharTrainConfig {
  cell: CharCell;
  layers: number;
  hidden: number;
  embedding: number;
  dropout: number;
  /** Characters per truncated-BPTT window (T). */
  seqLength: number;
  batch: number;
  lr: number;
  schedule: ScheduleName;
  /** Global-norm clip threshold. */
  clip: number;
  /** Budget: seconds of training, or a number of steps (steps wins when both are given). */
  seconds?: number;
  steps?: number;
  seed: number;
  /**
   * Carry the recurrent state across at most this many consecutive batches, then start from
   * zeros (training and validation alike). Default ⌈512 / seqLength⌉. See {@link ResettingStreams}.
   */
  carryBatches?: number;
  /** Validate (and checkpoint) every this many steps; default about 8 times per run. */
  validateEvery?: number;
  /** Batches per periodic validation (the final one covers the whole validation split). Default 10. */
  validationBatches?: number;
  /** Characters of the sample line printed at each validation (0: none). Default 100. */
  sampleLength?: number;
  /** Where checkpoints go (atomic `last.ckpt`, `best.ckpt`, and `run.json`); none when undefined. */
  checkpointDir?: string;
  /** Continue from `<checkpointDir>/last.ckpt`. */
  resume?: boolean;
  /** Where `loss.svg` is written at the end; none when undefined. */
  svgPath?: string;
  output: TextOutput;
  /** Show the progress bar (default true). */
  progress?: boolean;
  /**
   * Aborting it (the CLI does on SIGINT) ends training after the current step, with a checkpoint
   * when `checkpointDir` is set; the result then has `interrupted: true` and no final validation.
   */
  signal?: AbortSignal;
}

export interface CharTrainResult {
  model: CharRnn;
  vocab: Vocabulary;
  summary: RunSummary;
  /** Mean loss in nats/char over the whole validation split (last 10%) after training. */
  validationLoss: number;
  /** Wall-clock seconds of the training run (validation and checkpoints included). */
  seconds: number;
  /** Training characters per second (B·T per step). */
  charsPerSecond: number;
  /** True when `signal` ended the run early (validationLoss is then NaN: not measured). */
  interrupted: boolean;
}

/**
 * Token streams whose carried state restarts every `carry` batches (and at every epoch).
 *
 * Why: carried across a whole epoch (char-rnn's regime: ~500 batches, 30k characters per stream
 * on tiny Shakespeare), an LSTM learns cells that integrate for tens of thousands of steps
 * (|c| ≈ 30 measured) and uses them as biases; started from zeros — validation, sampling — it is
 * then out of its training distribution: measured here, validation 2.40 nats/char against a
 * training loss of 1.88 after 541 steps, and samples of rare characters ("&$3QZ…") after a
 * one-character prime. Restarting the state every ~512 characters keeps zeros a familiar start,
 * while each window still sees the state of the previous ones.
 */
export class ResettingStreams implements TrainData<TokenBatch> {
  readonly tokensPerBatch: number;

  constructor(readonly streams: TokenStreams, readonly carry: number) {
    if (!(Number.isInteger(carry) && carry >= 1)) throw new Error(`ResettingStreams: carry must be an integer ≥ 1, got ${carry}`);
    this.tokensPerBatch = streams.tokensPerBatch;
  }

  batch(position: number): TokenBatch {
    return this.streams.batch(position);
  }

  resetsState(position: number): boolean {
    return position % this.carry === 0 || this.streams.resetsState(position);
  }
}

/** Streams over `ids` shrunk to fit a short text: fewer streams, then shorter windows. */
function fittedStreams(ids: Int32Array, batch: number, steps: number): TokenStreams {
  const T = Math.max(1, Math.min(steps, ids.length - 1));
  const B = Math.max(1, Math.min(batch, Math.floor((ids.length - 1) / T)));
  return new TokenStreams(ids, { batch: B, steps: T });
}

function schedule(c: CharTrainConfig, steps: number): LearningRateSchedule | number {
  switch (c.schedule) {
    case 'constant':
      return c.lr;
    case 'cosine':
      return schedules.cosineDecay({ initial: c.lr, steps, final: c.lr / 10 });
    case 'step':
      return schedules.stepDecay({ initial: c.lr, factor: 0.5, every: Math.max(1, Math.round(steps / 4)) });
    default:
      return c.schedule satisfies never;
  }
}

/** Seconds per training step of `model` on `data`: one warm-up step, then the faster of two timed ones (gradients discarded). */
async function timeStep(model: CharRnn, data: TrainData<TokenBatch>): Promise<number> {
  const times: number[] = [];
  const vars = Object.values(model.params);
  for (let i = 0; i < 3; i++) {
    const batch = data.batch(i, new Rng(0));
    const t0 = performance.now();
    const { value, grads } = tf.variableGrads(() => model.loss(batch, undefined, new StepContext({ training: true, step: 0, rng: new Rng(0) })).loss, vars);
    await value.data();
    times.push((performance.now() - t0) / 1000);
    tf.dispose([value, ...Object.values(grads), batch.x, batch.y]);
  }
  return [...times.slice(1)].sort((a, b) => a - b)[0]!;
}

const join = (dir: string, name: string) => (dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`);

/** The run's identity: a resumed run must match it. */
interface RunFile {
  model: CharRnnConfig;
  carry: number;
  vocabulary: string[];
  batch: number;
  seqLength: number;
}

/** The metrics an interrupted run wrote up to its checkpoint at `step`, into `history` (none when the file is missing). */
async function loadHistory(history: MetricsHistory, path: string, step: number, say: (line: string) => void): Promise<void> {
  let text: string;
  try {
    text = await (await import('node:fs/promises')).readFile(path, 'utf8');
  } catch {
    say(`no ${path} from the earlier run: the loss curve starts at step ${step}`);
    return;
  }
  const torn = history.load(text, step);
  if (torn > 0) say(`${path}: skipped ${torn} unreadable line${torn === 1 ? '' : 's'} (a run killed mid-write)`);
  say(`loss curve: ${history.loss.length} steps and ${history.validation.length} validations of the earlier run read from ${path}`);
}

async function checkRunFile(dir: string, run: RunFile, resume: boolean): Promise<void> {
  const path = join(dir, 'run.json');
  if (resume) {
    let found: RunFile;
    try {
      const { readFile } = await import('node:fs/promises');
      found = JSON.parse(await readFile(path, 'utf8')) as RunFile;
    } catch {
      throw new Error(`--resume: no run to resume in ${dir} (expected ${path} and last.ckpt from an earlier "recurrent train --checkpoint-dir ${dir}"); drop --resume to start afresh`);
    }
    const want = JSON.stringify(run);
    if (JSON.stringify(found) !== want) {
      throw new Error(`--resume: the run in ${dir} was made with different settings or text.\n  found:    ${JSON.stringify(found)}\n  expected: ${want}\nUse the same text and --cell/--layers/--hidden/--dropout/--batch/--seq-length/--seed, or another --checkpoint-dir`);
    }
  }
  try {
    await atomicWriteFile(path, `${JSON.stringify(run)}\n`);
  } catch (error) {
    // Found before the first step, not after an hour of training without checkpoints.
    throw new Error(`cannot write to the checkpoint folder ${dir} (${(error as Error).message}); choose a writable --checkpoint-dir with free space`);
  }
}

/**
 * Trains a character model on `text` and returns it with its vocabulary and measured figures.
 *
 * @example
 * ```ts
 * const r = await trainCharLm(text, { cell: 'lstm', layers: 1, hidden: 256, embedding: 64, dropout: 0, seqLength: 64,
 *   batch: 32, lr: 3e-3, schedule: 'cosine', clip: 5, seconds: 180, seed: 1, output: process.stdout });
 * r.validationLoss; // nats/char on the last 10%
 * ```
 */
export async function trainCharLm(text: string, c: CharTrainConfig): Promise<CharTrainResult> {
  const out = c.output;
  const say = (line: string) => void out.write(`${line}\n`);
  const vocab = Vocabulary.fromText(text);
  const { train: trainIds, validation: validIds } = splitLast(vocab.encode(text));
  if (validIds.length < 2) throw new Error(`trainCharLm: the text is too short (${trainIds.length + validIds.length} characters) for a validation split of the last 10%; expected at least 20 characters`);
  const streams = fittedStreams(trainIds, c.batch, c.seqLength);
  const valStreams = fittedStreams(validIds, c.batch, c.seqLength);
  const carry = c.carryBatches ?? Math.ceil(512 / streams.steps);
  const data = new ResettingStreams(streams, carry);
  const valData = new ResettingStreams(valStreams, carry);
  const chars = trainIds.length + validIds.length;
  say(`text: ${chars.toLocaleString('en')} characters, vocabulary ${vocab.size}; training on the first 90% (${trainIds.length.toLocaleString('en')}), validating on the last 10% (${validIds.length.toLocaleString('en')})`);
  if (streams.batchSize !== c.batch || streams.steps !== c.seqLength) say(`note: the text is short; using batch ${streams.batchSize} × sequence length ${streams.steps}`);
  const config: CharRnnConfig = { vocabSize: vocab.size, cell: c.cell, layers: c.layers, hidden: c.hidden, embedding: c.embedding, dropout: c.dropout, seed: c.seed };
  const model = new CharRnn(config);
  try {
    say(`model: ${c.layers} × ${c.cell.toUpperCase()}(${c.hidden}), embedding ${c.embedding}, dropout ${c.dropout}, ${model.parameterCount.toLocaleString('en')} parameters; batch ${streams.batchSize} × ${streams.steps} characters of truncated BPTT, Adam lr ${c.lr} (${c.schedule}), clip ${c.clip}; state carried over ${carry} batches`);
    let steps = c.steps;
    if (steps === undefined) {
      if (c.seconds === undefined) throw new Error('trainCharLm: give a budget: seconds or steps');
      const perStep = await timeStep(model, data);
      // 25% more steps than the estimate: on a shared machine the probe can catch a busy moment,
      // and the time limit ends the run at the budget anyway.
      steps = Math.max(1, Math.ceil((1.25 * c.seconds) / perStep));
      say(`budget: ${c.seconds} s; planning ${steps} steps, 25% more than one step measured at ${(perStep * 1000).toFixed(0)} ms allows (the time limit ends the run)`);
    }
    const validateEvery = c.validateEvery ?? Math.max(1, Math.ceil(steps / 8));
    const history = new MetricsHistory();
    const sampleLength = c.sampleLength ?? 100;
    const prime = vocab.chars.includes('\n') ? '\n' : vocab.chars[0]!;
    const sampleLine: TrainerCallback = {
      async onValidation() {
        if (sampleLength <= 0) return;
        const s = await sampleText(model, vocab, prime, sampleLength, { temperature: 0.8 }, c.seed);
        say(`  sample: ${JSON.stringify(s)}`);
      },
    };
    // The checkpoint folder is checked (writable, and the same run when resuming) before anything is written to it.
    if (c.checkpointDir !== undefined) await checkRunFile(c.checkpointDir, { model: config, carry, vocabulary: [...vocab.chars], batch: streams.batchSize, seqLength: streams.steps }, c.resume === true);
    // Every step and validation also goes to <checkpointDir>/metrics.jsonl, so a resumed run's
    // curve covers the whole run, not only what ran since the last resume.
    const metricsPath = c.checkpointDir === undefined ? undefined : join(c.checkpointDir, 'metrics.jsonl');
    if (metricsPath !== undefined && c.resume !== true) await (await import('node:fs/promises')).rm(metricsPath, { force: true });
    const metricsLog = metricsPath === undefined ? [] : [jsonLines(await fileLines(metricsPath))];
    const callbacks: TrainerCallback[] = [history, ...metricsLog, ...(c.progress === false ? [] : [progressBar({ output: out })]), sampleLine];
    const trainer = new Trainer({
      model: model.trainModel(),
      data,
      steps,
      seed: c.seed,
      optimizer: { kind: 'adam' },
      learningRate: schedule(c, steps),
      clipNorm: c.clip,
      validation: { data: valData, batches: Math.min(c.validationBatches ?? 10, valStreams.batchesPerEpoch), every: validateEvery },
      ...(c.checkpointDir !== undefined ? { checkpoints: { store: new FileCheckpointStore(c.checkpointDir), every: validateEvery } } : {}),
      ...(c.steps === undefined && c.seconds !== undefined ? { timeLimitSeconds: c.seconds } : {}),
      ...(c.signal !== undefined ? { signal: c.signal } : {}),
      callbacks,
    });
    try {
      if (c.checkpointDir !== undefined) {
        if (c.resume === true && !(await trainer.resume())) throw new Error(`--resume: ${join(c.checkpointDir, 'last.ckpt')} does not exist; drop --resume to start afresh`);
        if (c.resume === true) await loadHistory(history, metricsPath!, trainer.step, say);
      } else if (c.resume === true) throw new Error('--resume needs --checkpoint-dir (where the earlier run saved last.ckpt)');
      const startStep = trainer.step;
      const t0 = performance.now();
      const summary = await trainer.run();
      const seconds = (performance.now() - t0) / 1000;
      const charsPerSecond = ((summary.step - startStep) * data.tokensPerBatch) / seconds;
      const interrupted = summary.reason === 'interrupted';
      const writeCurves = async () => {
        if (c.svgPath === undefined) return;
        await atomicWriteFile(c.svgPath, trainingCurves(history, { clipNorm: c.clip, title: `char ${c.cell} ${c.layers}×${c.hidden}` }));
        say(`loss curves: ${c.svgPath}`);
      };
      if (interrupted) {
        await writeCurves();
        const saved = c.checkpointDir !== undefined ? `checkpoint saved in ${c.checkpointDir}; continue with the same command and --resume` : 'no checkpoint (no checkpoint folder)';
        say(`interrupted at step ${summary.step} of ${steps}: ${saved}`);
        return { model, vocab, summary, validationLoss: Number.NaN, seconds, charsPerSecond, interrupted };
      }
      const validationLoss = await trainer.evaluate(valData, valStreams.batchesPerEpoch);
      say(`validation loss ${validationLoss.toFixed(4)} nats/char over the whole last 10% (${valStreams.batchesPerEpoch * valData.tokensPerBatch} characters); ${summary.step} steps in ${seconds.toFixed(0)} s, ${Math.round(charsPerSecond).toLocaleString('en')} chars/s`);
      await writeCurves();
      return { model, vocab, summary, validationLoss, seconds, charsPerSecond, interrupted };
    } finally {
      trainer.dispose();
    }
  } catch (error) {
    model.dispose();
    throw error;
  }
}
