#!/usr/bin/env node
/**
 * The `recurrent` command line: `recurrent train` trains a character-level language model on any
 * UTF-8 text file and `recurrent sample` writes text with a saved one (see `--help` on each).
 * `runCli` does the work and returns the exit code (0 ok, 1 unusable input, 2 bad arguments,
 * 130 interrupted by Ctrl-C after saving a checkpoint) so tests can call it in-process; the bin
 * entry just calls it with `process.argv`.
 */
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BACKEND_NAMES, bestBackend, useBackend, type BackendName, type TextOutput } from '@recurrent/core';
import { loadCharModel, saveCharModel } from './charlm/save.js';
import { generate } from './charlm/sample.js';
import { trainCharLm } from './charlm/train.js';
import { MAIN_HELP, parseSampleArgs, parseTrainArgs, readTextFile, SAMPLE_HELP, TRAIN_HELP, UsageError, type TrainArgs } from './cli-args.js';

/** Tiny Shakespeare, shipped with the package: the default corpus. */
export const DEFAULT_CORPUS = fileURLToPath(new URL('../data/tinyshakespeare.txt', import.meta.url));

export interface CliIo {
  stdout: TextOutput;
  stderr: TextOutput;
}

const processIo = (): CliIo => ({ stdout: process.stdout, stderr: process.stderr });

async function selectBackend(name: string, threads: number | 'auto', io: CliIo): Promise<void> {
  if (name !== 'best' && !(BACKEND_NAMES as readonly string[]).includes(name)) {
    throw new UsageError(`--backend: expected best or one of ${BACKEND_NAMES.join(', ')}, got "${name}"`);
  }
  const resolved = name === 'best' ? await bestBackend() : (name as BackendName);
  if (resolved !== 'wasm' && threads !== 1) io.stdout.write(`note: --threads applies to the wasm backend only; ${resolved} ignores it\n`);
  const b = await useBackend(resolved, resolved === 'wasm' ? { threads } : {});
  io.stdout.write(`backend: ${b.name}${b.device ? ` (${b.device})` : ''}\n`);
}

/**
 * Turns the first SIGINT (Ctrl-C) into an abort: training finishes its step, writes a checkpoint
 * and stops. A second SIGINT gets Node's default (the process ends at once), since the handler is
 * installed with `once`. Returns the signal and the function that removes the handler.
 */
function interruptOnSigint(io: CliIo): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const onSigint = () => {
    io.stderr.write('\ninterrupted: finishing the current step and saving a checkpoint (Ctrl-C again to quit at once)\n');
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  return { signal: controller.signal, release: () => void process.removeListener('SIGINT', onSigint) };
}

/** `recurrent train` with already-parsed arguments; also the main job. */
export async function train(a: TrainArgs, io: CliIo): Promise<{ validationLoss: number; seconds: number; steps: number; charsPerSecond: number; text: string; interrupted: boolean }> {
  if (a.text === undefined) throw new UsageError('recurrent train: expected a text file (as the argument or --text), got none');
  const text = await readTextFile(a.text);
  if (a.prime !== undefined) {
    const chars = new Set(Array.from(text));
    const missing = [...new Set(Array.from(a.prime))].filter((c) => !chars.has(c));
    if (missing.length > 0) throw new UsageError(`--prime: characters ${JSON.stringify(missing.join(''))} do not occur in ${a.text}, so the model cannot read them; use characters from the training text`);
  }
  await selectBackend(a.backend, a.threads, io);
  io.stdout.write(`corpus: ${a.text}\n`);
  const sigint = interruptOnSigint(io);
  let r: Awaited<ReturnType<typeof trainCharLm>>;
  try {
    r = await trainCharLm(text, { ...a.config, output: io.stdout, svgPath: join(a.out, 'loss.svg'), signal: sigint.signal });
  } finally {
    sigint.release();
  }
  try {
    await saveCharModel(a.out, r.model, r.vocab);
    io.stdout.write(`model saved to ${a.out} (model.json + weights.bin); sample more with: recurrent sample --model ${a.out}\n`);
    let out = '';
    if (r.interrupted) return { validationLoss: r.validationLoss, seconds: r.seconds, steps: r.summary.step, charsPerSecond: r.charsPerSecond, text: out, interrupted: true };
    if (a.length > 0) {
      const firstLine = Array.from(text.split('\n')[0] ?? '').slice(0, 40).join('');
      const prime = a.prime ?? (firstLine.length > 0 ? firstLine : '\n');
      io.stdout.write(`\n--- ${a.length} generated characters (temperature ${a.temperature}, primed with ${JSON.stringify(prime)}) ---\n${prime}`);
      const t0 = performance.now();
      for await (const ch of generate(r.model, r.vocab, prime, a.length, { temperature: a.temperature }, a.config.seed)) {
        io.stdout.write(ch);
        out += ch;
      }
      const s = (performance.now() - t0) / 1000;
      io.stdout.write(`\n--- ${Math.round(a.length / s).toLocaleString('en')} chars/s generated ---\n`);
    }
    return { validationLoss: r.validationLoss, seconds: r.seconds, steps: r.summary.step, charsPerSecond: r.charsPerSecond, text: out, interrupted: false };
  } finally {
    r.model.dispose();
  }
}

async function sample(argv: string[], io: CliIo): Promise<number> {
  const a = parseSampleArgs(argv);
  if (a.help) {
    io.stdout.write(SAMPLE_HELP);
    return 0;
  }
  await selectBackend(a.backend, a.threads, io);
  const { model, vocab } = await loadCharModel(a.model).catch((error: Error) => {
    throw new UsageError(error.message, 1);
  });
  try {
    const missing = [...new Set(Array.from(a.prime))].filter((c) => !vocab.chars.includes(c));
    if (missing.length > 0) throw new UsageError(`--prime: characters ${JSON.stringify(missing.join(''))} are not in the model's vocabulary of ${vocab.size}; use characters from the training text`);
    io.stdout.write(a.prime);
    const options = { temperature: a.temperature, ...(a.topK !== undefined ? { topK: a.topK } : {}), ...(a.topP !== undefined ? { topP: a.topP } : {}) };
    for await (const ch of generate(model, vocab, a.prime, a.length, options, a.seed)) io.stdout.write(ch);
    io.stdout.write('\n');
  } finally {
    model.dispose();
  }
  return 0;
}

/** Runs the CLI on `argv` (without node and the script); returns the exit code. */
export async function runCli(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'train': {
        const a = parseTrainArgs(rest, { text: DEFAULT_CORPUS });
        if (a.help) {
          io.stdout.write(TRAIN_HELP);
          return 0;
        }
        return (await train(a, io)).interrupted ? 130 : 0;
      }
      case 'sample':
        return await sample(rest, io);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io[command === undefined ? 'stderr' : 'stdout'].write(MAIN_HELP);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`recurrent: unknown command "${command}"; expected train or sample.\n${MAIN_HELP}`);
    }
  } catch (error) {
    const code = error instanceof UsageError ? error.exitCode : 1;
    io.stderr.write(`error: ${(error as Error).message}\n`);
    return code;
  }
}

/** True when this module is the script node was started with (not imported by a test). */
export function isEntry(url: string): boolean {
  const argv1 = process.argv[1];
  if (argv1 === undefined) return false;
  try {
    return realpathSync(argv1) === realpathSync(fileURLToPath(url));
  } catch {
    return false;
  }
}

if (isEntry(import.meta.url)) process.exitCode = await runCli(process.argv.slice(2));
