/**
 * Plumbing shared by the example scripts (Node only): pick the backend, print progress every
 * few steps, and write a saved model as JSON.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { useBackend, type BackendName, type TrainerCallback } from '@recurrent/core';

/** Uses the backend named by $RECURRENT_BACKEND (default: the best available) and says which. */
export async function setup(example: string): Promise<void> {
  const name = (process.env.RECURRENT_BACKEND ?? 'best') as BackendName | 'best';
  const report = await useBackend(name);
  console.log(`${example}: backend ${report.name}`);
}

/** A callback printing step, loss and elapsed seconds every `every` steps. */
export function progress(every: number): TrainerCallback {
  return {
    onStep: (m) => {
      if (m.step % every === 0 || m.step === m.totalSteps) {
        console.log(`  step ${m.step}/${m.totalSteps}  loss ${m.loss.toFixed(4)}  ${m.elapsed.toFixed(1)} s`);
      }
    },
  };
}

/** Writes `data` as JSON to `path` (creating its folder) and prints where. */
export function saveJson(path: string, data: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(data));
  console.log(`saved ${path}`);
}
