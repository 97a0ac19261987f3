/**
 * The `recurrent` CLI and the main job: bad arguments and unusable files give a clear message
 * (what was expected, what was found) and a non-zero exit code — 2 for arguments, 1 for input —
 * and both commands run end to end with a tiny budget, in-process and as real processes from dist/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli.js';
import { runMainJob } from './main-job.js';

const capture = () => {
  const out = { stdout: '', stderr: '' };
  const io = { stdout: { write: (s: string) => ((out.stdout += s), true) }, stderr: { write: (s: string) => ((out.stderr += s), true) } };
  return { out, io };
};

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { out, io } = capture();
  const code = await runCli(argv, io);
  return { code, ...out };
}

const dist = (file: string) => fileURLToPath(new URL(`../dist/${file}`, import.meta.url));
const TINY = ['--hidden', '16', '--embedding', '8', '--batch', '4', '--seq-length', '16', '--backend', 'wasm'];

let dir: string;
let text: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'recurrent-cli-'));
  text = join(dir, 'small.txt');
  await writeFile(text, 'To be, or not to be, that is the question:\nWhether tis nobler in the mind to suffer\n'.repeat(20));
  await writeFile(join(dir, 'empty.txt'), '');
  await writeFile(join(dir, 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a])); // "café" in Latin-1
  await mkdir(join(dir, 'folder'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('recurrent CLI: errors', () => {
  it.each([
    [['train', '--hidden', 'abc'], /--hidden: expected an integer ≥ 1 and ≤ 8192, got "abc"/],
    [['train', '--dropout', '1'], /--dropout: expected a number ≥ 0 and < 1, got "1"/],
    [['train', '--cell', 'transformer'], /--cell: expected one of lstm, gru, rnn, got "transformer"/],
    [['train', '--schedule', 'linear'], /--schedule: expected one of constant, cosine, step, got "linear"/],
    [['train', '--lr=-1'], /--lr: expected a number > 0 and ≤ 1, got "-1"/],
    [['train', '--seconds', '0'], /--seconds: expected a number > 0, got "0"/],
    [['train', '--steps', '2.5'], /--steps: expected an integer ≥ 1, got "2.5"/],
    [['train', '--carry', '0'], /--carry: expected an integer ≥ 1, got "0"/],
    [['train', '--bogus'], /recurrent train: Unknown option '--bogus'/],
    [['train', 'a.txt', 'b.txt'], /expected at most one text file, got 2/],
    [['train', '--threads', '0'], /--threads: expected an integer ≥ 1 and ≤ 64, got "0"/],
    [['sample', '--threads', 'many'], /--threads: expected an integer ≥ 1 and ≤ 64, got "many"/],
    [['sample', '--top-p', '2'], /--top-p: expected a number > 0 and ≤ 1, got "2"/],
    [['sample', '--temperature', '0'], /--temperature: expected a number > 0, got "0"/],
    [['frobnicate'], /unknown command "frobnicate"; expected train or sample/],
  ])('%j → exit 2 with a message', async (argv, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('no command → usage on stderr, exit 2', async () => {
    const r = await cli();
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Usage: recurrent <command>/);
  });

  it('--help on each command → its usage, exit 0', async () => {
    for (const c of ['train', 'sample']) {
      const r = await cli(c, '--help');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: recurrent ${c}`);
    }
  });

  it.each([
    ['missing.txt', /cannot read the text file ".*missing\.txt": no such file\. Expected a readable UTF-8 text file\./],
    ['empty.txt', /the text file ".*empty\.txt" is empty \(0 bytes\); expected UTF-8 text/],
    ['folder', /cannot read the text file ".*folder": it is a directory/],
    ['latin1.txt', /is not valid UTF-8 text \(5 bytes\)/],
  ])('train on %s → exit 1 naming the file', async (file, message) => {
    const r = await cli('train', join(dir, file), '--steps', '1');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
  });

  it('train --prime with characters absent from the text → exit 2 before training', async () => {
    const r = await cli('train', text, '--steps', '1', '--prime', 'Zebra', ...TINY);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--prime: characters "Z" do not occur in .*small\.txt/);
  });

  it('sample from a missing model → exit 1 naming model.json', async () => {
    const r = await cli('sample', '--model', join(dir, 'nothing-here'), '--backend', 'wasm');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot read .*model\.json/);
  });

  it('--resume without an earlier run → exit 1 saying so', async () => {
    const r = await cli('train', text, '--steps', '1', '--resume', '--out', join(dir, 'fresh'), ...TINY);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--resume: no run to resume in .*fresh.*drop --resume/);
  });
});

describe('recurrent CLI: end to end', () => {
  it('train → checkpoints, model, loss curves; sample → the same text from the same seed; resume continues', async () => {
    const out = join(dir, 'run');
    const t = await cli('train', text, '--steps', '8', '--validate-every', '4', '--length', '20', '--out', out, ...TINY);
    expect(t.stderr).toBe('');
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/training on the first 90% \(\d[\d,]*\), validating on the last 10%/);
    expect(t.stdout).toMatch(/step 4: validation loss \d\.\d{4}/);
    expect(t.stdout).toMatch(/sample: "/);
    for (const f of ['model.json', 'weights.bin', 'loss.svg', 'checkpoints/last.ckpt', 'checkpoints/run.json']) expect(existsSync(join(out, f)), f).toBe(true);
    const a = await cli('sample', '--model', out, '--length', '30', '--seed', '5', '--top-k', '3', '--backend', 'wasm');
    // Two XNNPACK threads split the same products: the same text, and the report says 2 threads ran.
    const b = await cli('sample', '--model', out, '--length', '30', '--seed', '5', '--top-k', '3', '--backend', 'wasm', '--threads', '2');
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/1 thread/);
    expect(b.stdout).toMatch(/2 threads/);
    const body = (o: string) => o.split('\n').filter((l) => !l.startsWith('backend:')).join('\n');
    expect(body(a.stdout)).toBe(body(b.stdout));
    const r = await cli('train', text, '--steps', '12', '--validate-every', '4', '--length', '0', '--out', out, '--resume', ...TINY);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('resuming at step 8 of 12');
    const bad = await cli('train', text, '--steps', '12', '--length', '0', '--out', out, '--resume', ...TINY, '--hidden', '24');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--resume: the run in .* was made with different settings/);
  });

  it('the main job runs end to end with a tiny budget (in-process)', async () => {
    const { out, io } = capture();
    const code = await runMainJob(['--seconds', '2', '--length', '20', '--text', text, '--out', join(dir, 'main'), ...TINY], io);
    expect(out.stderr).toBe('');
    expect(code).toBe(0);
    expect(out.stdout).toMatch(/budget: 2 s; planning \d+ steps/);
    expect(out.stdout).toMatch(/validation loss \d\.\d{4} nats\/char over the whole last 10%/);
    expect(out.stdout).toMatch(/--- 20 generated characters/);
  });

  it.runIf(existsSync(dist('main.js')))('dist/main.js and dist/cli.js as processes: exit codes 0, 1 and 2', () => {
    const main = spawnSync(process.execPath, [dist('main.js'), '--seconds', '2', '--length', '20', '--text', text, '--out', join(dir, 'proc'), ...TINY], { encoding: 'utf8' });
    expect(main.status, main.stderr).toBe(0);
    expect(main.stdout).toMatch(/generated characters/);
    const bad = spawnSync(process.execPath, [dist('cli.js'), 'train', '--layers', 'two'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--layers: expected an integer ≥ 1 and ≤ 16, got "two"/);
    const missing = spawnSync(process.execPath, [dist('cli.js'), 'train', join(dir, 'missing.txt')], { encoding: 'utf8' });
    expect(missing.status).toBe(1);
  });
});
