/**
 * The Trainer's fault handling, kept out of its loop: yielding to the event loop so a signal
 * handler can run between steps, naming the tensors that hold a NaN or Inf, and turning a failed
 * checkpoint write into an error that says where, why and what to do.
 */
import type * as tf from '@tensorflow/tfjs-core';

/**
 * Lets the event loop run: on cpu and wasm every await in a step resolves as a microtask, so a
 * loop of steps would otherwise starve timers, I/O and signal handlers (a SIGINT would be seen
 * only after the last step). `setImmediate` where there is one (Node), else a 0 ms timeout.
 */
export function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => unknown };
  return new Promise((resolve) => (g.setImmediate ? g.setImmediate(resolve) : setTimeout(resolve, 0)));
}

/** Yield at most this often (ms): a browser's 0 ms timeout can take 4 ms, longer than a tiny step. */
export const YIELD_EVERY_MS = 25;

/** The names of the tensors holding a NaN or ±Inf (reads them back: call off the hot path). */
export async function nonFiniteNames(named: [string, tf.Tensor | undefined][]): Promise<string[]> {
  const bad: string[] = [];
  for (const [name, t] of named) {
    if (t === undefined) continue;
    const values = await t.data();
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]!)) {
        bad.push(name);
        break;
      }
    }
  }
  return bad;
}

/** The error that ends a run whose checkpoint `name` could not be written to `location`. */
export function checkpointWriteError(error: unknown, name: string, step: number, location: string): Error {
  const e = error as Error & { code?: string };
  const why =
    e.code === 'ENOSPC' ? 'the disk is full'
      : e.code === 'ENOTDIR' ? 'a part of the folder path is a file'
        : e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS' ? 'the folder is not writable'
          : 'the write failed';
  return new Error(
    `Trainer: cannot write checkpoint "${name}" at step ${step} to ${location}: ${why} (${e.message}). ` +
    'Training stopped rather than go on without checkpoints; free disk space or choose a writable checkpoint folder, then resume.',
    { cause: error },
  );
}
