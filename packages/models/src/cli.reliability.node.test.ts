/**
 * `recurrent train` under faults: a real SIGINT to a real process finishes the step, writes a
 * checkpoint at that step and exits 130 with a message, and `--resume` continues from it; an
 * unwritable checkpoint folder is refused before the first step (exit 1, naming the folder); a
 * damaged last.ckpt is detected and the previous checkpoint is used, with a warning naming both.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeCheckpoint, MetricsHistory } from '@recurrent/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const TINY = ['--hidden', '8', '--embedding', '4', '--batch', '2', '--seq-length', '8', '--backend', 'cpu', '--length', '0'];

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  const io = { stdout: { write: (s: string) => ((out.stdout += s), true) }, stderr: { write: (s: string) => ((out.stderr += s), true) } };
  const code = await runCli(argv, io);
  return { code, ...out };
}

let dir: string;
let text: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'recurrent-cli-reliability-'));
  text = join(dir, 'small.txt');
  await writeFile(text, 'the quick brown fox jumps over the lazy dog.\n'.repeat(30));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const stepOf = async (path: string) => decodeCheckpoint(new Uint8Array(await readFile(path))).meta.step as number;

describe('recurrent train: faults', () => {
  it('SIGINT (a real signal to a real process) finishes the step, checkpoints it and exits 130; --resume continues', async () => {
    expect(existsSync(CLI), `${CLI} is missing; run npx tsc -b packages/core packages/models`).toBe(true);
    const out = join(dir, 'sigint');
    const child = spawn(process.execPath, [CLI, 'train', text, '--steps', '5000', '--validate-every', '100000', '--out', out, ...TINY], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
      // The progress line of step 250 (every 5000/20 steps): training is under way.
      if (!sent && /^step \d+\/5000/m.test(stdout)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(sent, stdout + stderr).toBe(true);
    expect(code, stdout + stderr).toBe(130);
    expect(stderr).toContain('interrupted: finishing the current step and saving a checkpoint (Ctrl-C again to quit at once)');
    const m = /interrupted at step (\d+) of 5000: checkpoint saved in (\S+); continue with the same command and --resume/.exec(stdout);
    expect(m, stdout).not.toBeNull();
    const step = Number(m![1]);
    expect(step).toBeGreaterThanOrEqual(250);
    expect(step).toBeLessThan(5000);
    expect(await stepOf(join(out, 'checkpoints', 'last.ckpt'))).toBe(step); // the interrupted step itself
    expect(existsSync(join(out, 'model.json'))).toBe(true);
    expect(existsSync(join(out, 'loss.svg'))).toBe(true); // the curve so far
    const resumed = await cli('train', text, '--steps', String(step + 3), '--validate-every', '100000', '--out', out, '--resume', ...TINY);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`resuming at step ${step} of ${step + 3}`);
    // The curves cover the whole run: the interrupted part is read back from metrics.jsonl…
    expect(resumed.stdout).toContain(`loss curve: ${step} steps and 0 validations of the earlier run read from ${join(out, 'checkpoints', 'metrics.jsonl')}`);
    // … which now holds every step once (the resumed steps replace any written after the checkpoint).
    const history = new MetricsHistory();
    expect(history.load(await readFile(join(out, 'checkpoints', 'metrics.jsonl'), 'utf8'))).toBe(0);
    expect(history.loss.map(([s]) => s)).toEqual(Array.from({ length: step + 3 }, (_, i) => i + 1));
  }, 60_000);

  it('an unwritable checkpoint folder is refused before training (exit 1, naming the folder)', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    const r = await cli('train', text, '--steps', '2', '--out', join(dir, 'o'), '--checkpoint-dir', join(file, 'ckpt'), ...TINY);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot write to the checkpoint folder .*a-file\/ckpt \(ENOTDIR.*choose a writable --checkpoint-dir with free space/);
    expect(r.stdout).not.toMatch(/^step /m);
  });

  it('a damaged last.ckpt is detected; --resume warns and continues from last.prev.ckpt', async () => {
    const out = join(dir, 'damaged');
    const first = await cli('train', text, '--steps', '8', '--validate-every', '4', '--out', out, ...TINY);
    expect(first.code, first.stderr).toBe(0);
    const last = join(out, 'checkpoints', 'last.ckpt');
    expect(await stepOf(last)).toBe(8);
    expect(await stepOf(join(out, 'checkpoints', 'last.prev.ckpt'))).toBe(4);
    const bytes = await readFile(last);
    await writeFile(last, bytes.subarray(0, bytes.length >> 1)); // cut in half
    const r = await cli('train', text, '--steps', '10', '--validate-every', '4', '--out', out, '--resume', ...TINY);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/warning: .*last\.ckpt is damaged and was skipped \(decodeCheckpoint: checkpoint .*last\.ckpt is not a valid checkpoint \((hash mismatch|array .* runs past the end|header of \d+ bytes runs past)/);
    expect(r.stdout).toMatch(/resumed from .*last\.prev\.ckpt \(step 4\) instead/);
    expect(r.stdout).toContain('resuming at step 4 of 10');
  });
});
