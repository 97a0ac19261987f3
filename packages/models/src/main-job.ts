/**
 * The main job's logic, importable by tests: `recurrent train` on tiny Shakespeare with the
 * measured defaults (see packages/models/README.md), output in runs/main.
 */
import { DEFAULT_CORPUS, isEntry, train, type CliIo } from './cli.js';
import { parseTrainArgs, TRAIN_HELP, UsageError } from './cli-args.js';

export { isEntry };

/** The measured defaults, placed before the user's arguments (which win). */
export const MAIN_DEFAULTS = ['--cell', 'lstm', '--layers', '1', '--hidden', '256', '--batch', '32', '--seq-length', '64', '--lr', '1e-2', '--schedule', 'cosine'];

/** Runs the main job on `argv`; returns the exit code. */
export async function runMainJob(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  try {
    const a = parseTrainArgs([...MAIN_DEFAULTS, ...argv], { text: DEFAULT_CORPUS, seconds: 180, out: 'runs/main' });
    if (a.help) {
      io.stdout.write(`The main job: recurrent train with the measured defaults ${MAIN_DEFAULTS.join(' ')} --seconds 180 --out runs/main.\n\n${TRAIN_HELP}`);
      return 0;
    }
    return (await train(a, io)).interrupted ? 130 : 0;
  } catch (error) {
    io.stderr.write(`error: ${(error as Error).message}\n`);
    return error instanceof UsageError ? error.exitCode : 1;
  }
}
