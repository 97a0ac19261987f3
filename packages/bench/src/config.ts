/**
 * The command line: `recurrent-bench` options, parsed with node:util's parseArgs into one typed
 * configuration, with every default (full run and `--quick`) resolved here and nowhere else.
 */
import { parseArgs } from 'node:util';
import { BACKEND_NAMES, type BackendName } from '@recurrent/core';
import { CELLS, MODES, type Case, type Cell, type Effort, type Mode, type Shape, type Target } from './types.js';

export interface BenchConfig {
  targets: Target[];
  cases: Case[];
  effort: Effort;
  layers: boolean;
  /** Sequence lengths of the training memory scan; empty when `--memory` is not given. */
  memoryTimes: number[];
  memoryCells: Cell[];
  memoryShape: Omit<Shape, 'time'>;
  json?: string;
  markdown?: string;
}

export type Parsed = { help: true } | { help: false; config: BenchConfig };

const FULL = {
  targets: 'cpu,wasm,webgpu,tensorflow,webgl,chromium:webgpu',
  cells: 'lstm,gru,rnn',
  modes: 'training,inference,generation',
  batch: '32', time: '64', inputs: '64', hidden: '256', classes: '64',
  reps: '5', warmup: '2', matMulBatchMs: 50, matMulReps: 5,
} as const;
const QUICK = {
  targets: 'best,chromium:gpu',
  cells: 'lstm,gru,rnn',
  modes: 'training,inference,generation',
  batch: '8', time: '16', inputs: '32', hidden: '64', classes: '16',
  reps: '3', warmup: '2', matMulBatchMs: 20, matMulReps: 5,
} as const;

export const HELP = `recurrent-bench: RNN throughput per backend, our ops against tf.layers, in one process.

Usage: recurrent-bench [options]

  --backend LIST   where to run, comma-separated (default: ${FULL.targets}):
                     cpu, wasm, webgpu (Dawn), tensorflow (tfjs-node), best        in this Node process
                     webgl, chromium:webgpu, chromium:wasm, chromium:cpu,
                     chromium:best, chromium:gpu (a hardware GPU backend, else webgl) in headless Chromium
                   (node:NAME is accepted too). Backends that cannot run here are reported with why.
  --cell LIST      lstm, gru, rnn (default: all)
  --mode LIST      training (Adam step, dense softmax head at every step), inference (forward over
                   the sequence), generation (one step, state carried, output read back)
                   (default: all)
  --batch LIST     batch sizes (default ${FULL.batch})
  --time LIST      sequence lengths (default ${FULL.time})
  --inputs LIST    input features (default ${FULL.inputs})
  --hidden LIST    hidden units (default ${FULL.hidden})
  --classes N      classes of the training head (default ${FULL.classes})
  --reps N         timed repetitions per model, alternated (default ${FULL.reps})
  --warmup N       untimed repetitions per model first (default ${FULL.warmup})
  --wasm-threads LIST   wasm (Node and chromium:wasm): XNNPACK thread counts to compare, e.g. 1,2
                   (default: core's); each value is a separate wasm row, Node ones in the same process.
                   The Chromium page is served cross-origin isolated, so threads run there too
  --wasm-kernels LIST   wasm: stock (tfjs' own kernels), fixed (the project's overrides), or
                   stock,fixed to compare (default: fixed)
  --no-layers      do not measure the tf.layers model
  --memory         also scan training-step memory at T = 64, 256, 1024 (first batch/inputs/hidden)
  --memory-times LIST  sequence lengths of that scan
  --quick          about a minute: ${QUICK.targets} (one backend per environment), every cell and mode,
                   B ${QUICK.batch}, T ${QUICK.time}, I ${QUICK.inputs}, H ${QUICK.hidden}, ${QUICK.reps} reps (explicit options still win)
  --json FILE      write the report as JSON
  --markdown FILE  write a markdown table (date, machine, command line) for the README
  --help           this text

Lists take several values: --hidden 128,256,512 measures each. The table goes to stdout, progress
lines to stderr. Times are medians (min–max) of ms per unit: training = one optimizer step over
B×T tokens; inference = one forward over B×T; generation = one time step of B sequences.
`;

function fail(message: string): never {
  throw new Error(`recurrent-bench: ${message} (see --help)`);
}

function list(option: string, value: string): string[] {
  const items = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) fail(`--${option} needs at least one value`);
  return items;
}

function positive(option: string, value: string, allowZero = false): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1)) fail(`--${option} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got "${value}"`);
  return n;
}

function oneOf<T extends string>(option: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) fail(`--${option}: unknown "${value}"; expected one of ${allowed.join(', ')}`);
  return value as T;
}

const BROWSER_ONLY: readonly string[] = ['webgl'];
const CHOICES = [...BACKEND_NAMES, 'best', 'gpu'] as const;

/** `wasm`, `node:wasm`, `webgl`, `chromium:webgpu`, … → a target. Plain webgl means Chromium. */
export function parseTarget(text: string): Target {
  const [prefix, rest] = text.includes(':') ? (text.split(':', 2) as [string, string]) : [undefined, text];
  const backend = oneOf<BackendName | 'best' | 'gpu'>('backend', rest, CHOICES);
  if (prefix === undefined) return { environment: BROWSER_ONLY.includes(backend) || backend === 'gpu' ? 'chromium' : 'node', backend };
  const environment = oneOf('backend', prefix, ['node', 'chromium'] as const);
  if (environment === 'chromium' && backend === 'tensorflow') fail('--backend: tensorflow (tfjs-node) runs only in Node');
  return { environment, backend };
}

/**
 * Each Node wasm target becomes one target per (threads, kernels) pair asked for, threads outer:
 * `--wasm-threads 1,2 --wasm-kernels stock,fixed` → 1 stock, 1 fixed, 2 stock, 2 fixed.
 */
function expandWasm(targets: Target[], threadsOption: string | undefined, kernelsOption: string | undefined): Target[] {
  if (threadsOption === undefined && kernelsOption === undefined) return targets;
  const threads = threadsOption === undefined ? [undefined] : list('wasm-threads', threadsOption).map((v) => positive('wasm-threads', v));
  const kernels = list('wasm-kernels', kernelsOption ?? 'fixed').map((k) => oneOf('wasm-kernels', k, ['stock', 'fixed'] as const));
  if (!targets.some((t) => t.backend === 'wasm')) fail('--wasm-threads / --wasm-kernels need --backend wasm or chromium:wasm');
  return targets.flatMap((t) => {
    if (t.backend !== 'wasm') return [t];
    return threads.flatMap((n) => kernels.map((k): Target => ({ ...t, wasm: { ...(n !== undefined ? { threads: n } : {}), kernels: k } })));
  });
}

/** Parses argv (without node and the script). */
export function parseConfig(argv: string[]): Parsed {
  let parsed;
  try {
    parsed = parseOptions(argv);
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error)); // parseArgs: unknown option, missing value
  }
  return resolveConfig(parsed.values);
}

function parseOptions(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      backend: { type: 'string' }, cell: { type: 'string' }, mode: { type: 'string' },
      batch: { type: 'string' }, time: { type: 'string' }, inputs: { type: 'string' }, hidden: { type: 'string' },
      classes: { type: 'string' }, reps: { type: 'string' }, warmup: { type: 'string' },
      'no-layers': { type: 'boolean', default: false }, memory: { type: 'boolean', default: false },
      'memory-times': { type: 'string' }, quick: { type: 'boolean', default: false },
      'wasm-threads': { type: 'string' }, 'wasm-kernels': { type: 'string' },
      json: { type: 'string' }, markdown: { type: 'string' }, help: { type: 'boolean', default: false },
    },
  });
}

function resolveConfig(values: ReturnType<typeof parseOptions>['values']): Parsed {
  if (values.help) return { help: true };
  const d = values.quick ? QUICK : FULL;
  const ints = (option: 'batch' | 'time' | 'inputs' | 'hidden') => list(option, values[option] ?? d[option]).map((v) => positive(option, v));
  const targets = expandWasm(list('backend', values.backend ?? d.targets).map(parseTarget), values['wasm-threads'], values['wasm-kernels']);
  const cells = list('cell', values.cell ?? d.cells).map((c) => oneOf<Cell>('cell', c, CELLS));
  const modes = list('mode', values.mode ?? d.modes).map((m) => oneOf<Mode>('mode', m, MODES));
  const [batches, times, inputs, hiddens] = [ints('batch'), ints('time'), ints('inputs'), ints('hidden')];
  const classes = positive('classes', values.classes ?? d.classes);
  const cases: Case[] = [];
  for (const batch of batches) for (const time of times) for (const inp of inputs) for (const hidden of hiddens) {
    for (const cell of cells) for (const mode of modes) cases.push({ cell, mode, shape: { batch, time, inputs: inp, hidden, classes } });
  }
  const memoryTimes = values.memory || values['memory-times'] !== undefined
    ? list('memory-times', values['memory-times'] ?? '64,256,1024').map((v) => positive('memory-times', v))
    : [];
  return {
    help: false,
    config: {
      targets,
      cases,
      effort: {
        reps: positive('reps', values.reps ?? d.reps),
        warmup: positive('warmup', values.warmup ?? d.warmup, true),
        matMulBatchMs: d.matMulBatchMs,
        matMulReps: d.matMulReps,
      },
      layers: !values['no-layers'],
      memoryTimes,
      memoryCells: memoryTimes.length > 0 ? cells : [],
      memoryShape: { batch: batches[0]!, inputs: inputs[0]!, hidden: hiddens[0]!, classes },
      ...(values.json !== undefined ? { json: values.json } : {}),
      ...(values.markdown !== undefined ? { markdown: values.markdown } : {}),
    },
  };
}
