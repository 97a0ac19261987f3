/**
 * Argument parsing and validation for the `recurrent` CLI, kept apart from running so it can be
 * tested without training. Every mistake becomes a `UsageError` naming the option, what was
 * expected and what was found; the CLI prints it and exits with code 2.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { CELLS, type CharCell } from './charlm/model.js';
import { SCHEDULES, type CharTrainConfig, type ScheduleName } from './charlm/train.js';

/** A bad command line (exit code 2) or an unusable input file (exit code 1). */
export class UsageError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
    this.name = 'UsageError';
  }
}

export const TRAIN_HELP = `Usage: recurrent train [options] [text-file]

Trains a character-level language model on any UTF-8 text file (default: tiny Shakespeare),
validating on the last 10% of the text, and saves it to --out.

  --text FILE          the training text (or give it as the first argument)
  --cell NAME          lstm | gru | rnn                                   [lstm]
  --layers N           stacked recurrent layers                           [1]
  --hidden N           hidden units per layer                             [256]
  --embedding N        character embedding size                           [64]
  --dropout P          dropout between layers and before the head, [0, 1) [0]
  --seq-length N       characters per truncated-BPTT window               [64]
  --batch N            parallel streams per batch                         [32]
  --lr X               Adam learning rate                                 [1e-2]
  --schedule NAME      constant | cosine | step                           [cosine]
  --clip X             global-norm gradient clipping threshold            [5]
  --carry N            carry the state across at most N batches, then zeros [⌈512 / seq-length⌉]
  --seconds S          time budget in seconds                             [180]
  --steps N            step budget (replaces --seconds)
  --backend NAME       best | wasm | cpu | webgl | webgpu | tensorflow    [best]
  --threads N|auto     wasm threads (auto: one per core; faster on an idle machine) [1]
  --out DIR            where model.json, weights.bin and loss.svg go      [runs/charlm]
  --checkpoint-dir DIR where checkpoints go                               [<out>/checkpoints]
  --resume             continue from <checkpoint-dir>/last.ckpt
  --validate-every N   validate, print a sample line and checkpoint every N steps [about 8 per run]
  --length N           characters to generate after training              [500]
  --temperature X      sampling temperature for that text                 [0.8]
  --prime TEXT         text to start the generated text with              [first line of the text]
  --seed N             seed of weights, dropout and sampling              [1]
  -h, --help           this help

Ctrl-C finishes the current step, saves a checkpoint and exits with code 130; run the same
command with --resume to continue. A damaged last.ckpt is detected (checksum) and the previous
checkpoint (last.prev.ckpt) is used instead.
`;

export const SAMPLE_HELP = `Usage: recurrent sample [options]

Generates text from a model saved by "recurrent train".

  --model DIR          the model directory (model.json + weights.bin)     [runs/charlm]
  --length N           characters to generate                             [500]
  --temperature X      softmax temperature, > 0                           [0.8]
  --top-k N            sample among the N most likely characters only
  --top-p P            nucleus sampling: the most likely characters up to mass P, (0, 1]
  --prime TEXT         priming text (its characters must be in the model's vocabulary) ["\\n"]
  --seed N             seed of the draws: the same seed gives the same text [1]
  --backend NAME       best | wasm | cpu | …                              [best]
  --threads N|auto     wasm threads (auto: one per core)                  [1]
  -h, --help           this help
`;

export const MAIN_HELP = `Usage: recurrent <command> [options]

Commands:
  train    train a character-level language model on a UTF-8 text file
  sample   generate text from a trained model

Run "recurrent <command> --help" for the options of a command.
`;

type Values = Record<string, string | boolean | undefined>;

function parse(argv: string[], options: Record<string, { type: 'string' | 'boolean'; short?: string }>, command: string): { values: Values; positionals: string[] } {
  try {
    const r = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: r.values as Values, positionals: r.positionals };
  } catch (error) {
    throw new UsageError(`recurrent ${command}: ${(error as Error).message}\nRun "recurrent ${command} --help" for the options.`);
  }
}

/** A number option: `--name` must parse to a finite number within the stated bounds. */
function num(values: Values, name: string, fallback: number, o: { integer?: boolean; min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean } = {}): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  const kind = o.integer ? 'an integer' : 'a number';
  const lo = o.min === undefined ? '' : `${o.minExclusive ? '>' : '≥'} ${o.min}`;
  const hi = o.max === undefined ? '' : `${o.maxExclusive ? '<' : '≤'} ${o.max}`;
  const range = [lo, hi].filter(Boolean).join(' and ');
  const ok =
    typeof raw === 'string' && raw.trim() !== '' && Number.isFinite(v) && (!o.integer || Number.isInteger(v)) &&
    (o.min === undefined || (o.minExclusive ? v > o.min : v >= o.min)) && (o.max === undefined || (o.maxExclusive ? v < o.max : v <= o.max));
  if (!ok) throw new UsageError(`--${name}: expected ${kind}${range ? ` ${range}` : ''}, got "${String(raw)}"`);
  return v;
}

function choice<T extends string>(values: Values, name: string, allowed: readonly T[], fallback: T): T {
  const raw = values[name];
  if (raw === undefined) return fallback;
  if (!allowed.includes(raw as T)) throw new UsageError(`--${name}: expected one of ${allowed.join(', ')}, got "${String(raw)}"`);
  return raw as T;
}

/** `--threads N|auto` (wasm only), default 1. */
function threadsArg(values: Values): number | 'auto' {
  if (values.threads === 'auto') return 'auto';
  return num(values, 'threads', 1, { integer: true, min: 1, max: 64 });
}

export interface TrainArgs {
  help: boolean;
  text: string | undefined;
  backend: string;
  /** wasm XNNPACK threads: a count, or 'auto' (one per logical core). */
  threads: number | 'auto';
  out: string;
  length: number;
  temperature: number;
  prime: string | undefined;
  config: Omit<CharTrainConfig, 'output' | 'svgPath'>;
}

const S = { type: 'string' } as const;

/** Parses `recurrent train` arguments (without the subcommand). */
export function parseTrainArgs(argv: string[], defaults: { text?: string; seconds?: number; out?: string } = {}): TrainArgs {
  const { values: v, positionals } = parse(argv, {
    text: S, cell: S, layers: S, hidden: S, embedding: S, dropout: S, 'seq-length': S, batch: S, lr: S, schedule: S, clip: S,
    carry: S, seconds: S, steps: S, backend: S, threads: S, out: S, 'checkpoint-dir': S, resume: { type: 'boolean' }, 'validate-every': S,
    length: S, temperature: S, prime: S, seed: S, help: { type: 'boolean', short: 'h' },
  }, 'train');
  if (positionals.length > 1) throw new UsageError(`recurrent train: expected at most one text file, got ${positionals.length}: ${positionals.join(' ')}`);
  if (positionals.length === 1 && v.text !== undefined) throw new UsageError('recurrent train: give the text file either as an argument or with --text, not both');
  const out = (v.out as string | undefined) ?? defaults.out ?? 'runs/charlm';
  const steps = v.steps === undefined ? undefined : num(v, 'steps', 0, { integer: true, min: 1 });
  const cell: CharCell = choice(v, 'cell', CELLS, 'lstm');
  const schedule: ScheduleName = choice(v, 'schedule', SCHEDULES, 'cosine');
  const carry = v.carry === undefined ? undefined : num(v, 'carry', 0, { integer: true, min: 1 });
  const validateEvery = v['validate-every'] === undefined ? undefined : num(v, 'validate-every', 0, { integer: true, min: 1 });
  const config: TrainArgs['config'] = {
    cell,
    layers: num(v, 'layers', 1, { integer: true, min: 1, max: 16 }),
    hidden: num(v, 'hidden', 256, { integer: true, min: 1, max: 8192 }),
    embedding: num(v, 'embedding', 64, { integer: true, min: 1, max: 8192 }),
    dropout: num(v, 'dropout', 0, { min: 0, max: 1, maxExclusive: true }),
    seqLength: num(v, 'seq-length', 64, { integer: true, min: 1 }),
    batch: num(v, 'batch', 32, { integer: true, min: 1 }),
    lr: num(v, 'lr', 1e-2, { min: 0, minExclusive: true, max: 1 }),
    schedule,
    clip: num(v, 'clip', 5, { min: 0, minExclusive: true }),
    ...(steps !== undefined ? { steps } : { seconds: num(v, 'seconds', defaults.seconds ?? 180, { min: 0, minExclusive: true }) }),
    seed: num(v, 'seed', 1, { integer: true, min: 0 }),
    checkpointDir: (v['checkpoint-dir'] as string | undefined) ?? `${out}/checkpoints`,
    resume: v.resume === true,
    ...(validateEvery !== undefined ? { validateEvery } : {}),
    ...(carry !== undefined ? { carryBatches: carry } : {}),
  };
  return {
    help: v.help === true,
    text: positionals[0] ?? (v.text as string | undefined) ?? defaults.text,
    backend: (v.backend as string | undefined) ?? 'best',
    threads: threadsArg(v),
    out,
    length: num(v, 'length', 500, { integer: true, min: 0 }),
    temperature: num(v, 'temperature', 0.8, { min: 0, minExclusive: true }),
    prime: v.prime as string | undefined,
    config,
  };
}

export interface SampleArgs {
  help: boolean;
  model: string;
  length: number;
  temperature: number;
  topK: number | undefined;
  topP: number | undefined;
  prime: string;
  seed: number;
  backend: string;
  /** wasm XNNPACK threads: a count, or 'auto' (one per logical core). */
  threads: number | 'auto';
}

/** Parses `recurrent sample` arguments (without the subcommand). */
export function parseSampleArgs(argv: string[]): SampleArgs {
  const { values: v, positionals } = parse(argv, {
    model: S, length: S, temperature: S, 'top-k': S, 'top-p': S, prime: S, seed: S, backend: S, threads: S, help: { type: 'boolean', short: 'h' },
  }, 'sample');
  if (positionals.length > 0) throw new UsageError(`recurrent sample: expected no positional arguments, got "${positionals.join(' ')}" (the model directory goes in --model)`);
  return {
    help: v.help === true,
    model: (v.model as string | undefined) ?? 'runs/charlm',
    length: num(v, 'length', 500, { integer: true, min: 1 }),
    temperature: num(v, 'temperature', 0.8, { min: 0, minExclusive: true }),
    topK: v['top-k'] === undefined ? undefined : num(v, 'top-k', 0, { integer: true, min: 1 }),
    topP: v['top-p'] === undefined ? undefined : num(v, 'top-p', 0, { min: 0, minExclusive: true, max: 1 }),
    prime: (v.prime as string | undefined) ?? '\n',
    seed: num(v, 'seed', 1, { integer: true, min: 0 }),
    backend: (v.backend as string | undefined) ?? 'best',
    threads: threadsArg(v),
  };
}

/** Reads a UTF-8 text file for training; a missing, unreadable, empty or non-UTF-8 file is a UsageError (exit code 1). */
export async function readTextFile(path: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new UsageError(`cannot read the text file "${path}": ${why}. Expected a readable UTF-8 text file.`, 1);
  }
  if (bytes.length === 0) throw new UsageError(`the text file "${path}" is empty (0 bytes); expected UTF-8 text to learn from.`, 1);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError(`the file "${path}" is not valid UTF-8 text (${bytes.length} bytes); expected a UTF-8 text file.`, 1);
  }
  if (new Set(Array.from(text)).size < 2) throw new UsageError(`the text file "${path}" has fewer than 2 distinct characters; expected text with a vocabulary to learn.`, 1);
  return text;
}
