#!/usr/bin/env node
/**
 * The demo's model, reproducibly: trains a character LSTM on tiny Shakespeare with the project's
 * own CLI (`recurrent train`), measures what float16 and int8 storage cost in validation loss and
 * in agreement of the most likely next character, and exports the smallest encoding that holds
 * the quality into packages/demo/public/model/ (model.json + weights.bin).
 *
 *   node packages/demo/scripts/model.mjs [--seconds 180 | --steps N] [--dtype auto|float32|float16|int8]
 *        [--from DIR] [--out DIR] [-- <more "recurrent train" options>]
 *
 * `--seconds` is the training budget in wall-clock time; `--steps` a budget in updates instead,
 * which gives the same model whatever else the machine is doing.
 *
 * `--from DIR` skips training and exports a model directory written by `recurrent train`;
 * `--note TEXT` says how that model was trained (stored in model.json's `about.trainedFor`).
 * Needs the workspace built (`pnpm install` does it; or `npx tsc -b packages/core packages/models`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const cli = join(repo, 'packages/models/dist/cli.js');
const corpus = join(repo, 'packages/models/data/tinyshakespeare.txt');

const USAGE = `usage: node packages/demo/scripts/model.mjs [--seconds S | --steps N] [--dtype auto|float32|float16|int8] [--from DIR [--note TEXT]] [--out DIR] [-- train options]`;
const args = process.argv.slice(2);
const split = args.indexOf('--');
const own = split < 0 ? args : args.slice(0, split);
const passThrough = split < 0 ? [] : args.slice(split + 1);
const opts = { seconds: '180', steps: undefined, dtype: 'auto', from: undefined, note: undefined, out: join(here, '../public/model') };
for (let i = 0; i < own.length; i++) {
  const key = own[i].replace(/^--/, '');
  if (key === 'help' || key === 'h') {
    console.log(USAGE);
    process.exit(0);
  }
  if (!(key in opts) || own[i + 1] === undefined) {
    console.error(`model.mjs: unknown option or missing value: ${own[i]}\n${USAGE}`);
    process.exit(2);
  }
  opts[key] = own[++i];
}
if (opts.steps !== undefined && !/^\d+$/.test(opts.steps)) {
  console.error(`model.mjs: --steps must be a whole number of updates, got "${opts.steps}"`);
  process.exit(2);
}
if (!/^\d+(\.\d+)?$/.test(opts.seconds)) {
  console.error(`model.mjs: --seconds must be a number of seconds, got "${opts.seconds}"`);
  process.exit(2);
}
if (!['auto', 'float32', 'float16', 'int8'].includes(opts.dtype)) {
  console.error(`model.mjs: --dtype must be auto, float32, float16 or int8, got "${opts.dtype}"`);
  process.exit(2);
}
if (!existsSync(cli)) {
  console.error(`model.mjs: ${cli} is missing; build the workspace first: npx tsc -b packages/core packages/models`);
  process.exit(1);
}

const log = (line) => console.log(`[model] ${line}`);
const t0 = performance.now();
let trained = opts.from;
let tmp;
if (trained === undefined) {
  tmp = mkdtempSync(join(tmpdir(), 'recurrent-demo-model-'));
  trained = join(tmp, 'model');
  const budget = opts.steps !== undefined ? ['--steps', opts.steps] : ['--seconds', opts.seconds];
  const train = ['train', corpus, ...budget, '--out', trained, '--length', '300', ...passThrough];
  log(`training: node packages/models/dist/cli.js ${train.join(' ').replace(repo + '/', '')}`);
  const r = spawnSync(process.execPath, [cli, ...train], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`model.mjs: "recurrent train" failed (exit ${r.status ?? r.signal}); see its output above`);
    process.exit(1);
  }
}

const tf = await import('@tensorflow/tfjs-core');
const { useBackend } = await import('@recurrent/core');
const { readHostCharModel, encodeHostModel, parseCharModel, buildCharModel } = await import('@recurrent/models');
await useBackend('wasm').catch(() => useBackend('cpu'));
log(`evaluating on ${tf.getBackend()}`);

const host = await readHostCharModel(trained);
const text = readFileSync(corpus, 'utf8');
const chars = Array.from(text);
const validation = chars.slice(Math.floor(chars.length * 0.9));
const index = new Map(host.vocabulary.map((c, i) => [c, i]));
// 16 streams × 512 characters of the validation split (the last 10%, never trained on).
const B = 16;
const T = 512;
const ids = new Int32Array(B * (T + 1));
for (let b = 0; b < B; b++) {
  const start = Math.floor((b * (validation.length - T - 1)) / B);
  for (let t = 0; t <= T; t++) ids[b * (T + 1) + t] = index.get(validation[start + t]) ?? 0;
}
const x = tf.tensor2d(Array.from({ length: B * T }, (_, i) => ids[Math.floor(i / T) * (T + 1) + (i % T)]), [B, T], 'int32');
const y = Array.from({ length: B * T }, (_, i) => ids[Math.floor(i / T) * (T + 1) + (i % T) + 1]);

/** Mean cross-entropy (nats/char) and the argmax of every step, for one encoding. */
async function evaluate(dtype) {
  const { json, weights } = encodeHostModel(host, dtype);
  const { model } = buildCharModel(parseCharModel(json, weights));
  const logits = tf.tidy(() => model.forward(x, undefined).logits);
  const values = await logits.data();
  logits.dispose();
  model.dispose();
  const V = host.config.vocabSize;
  let loss = 0;
  const argmax = new Int32Array(B * T);
  for (let n = 0; n < B * T; n++) {
    const row = values.subarray(n * V, (n + 1) * V);
    let max = -Infinity;
    for (let v = 0; v < V; v++) if (row[v] > max) [max, argmax[n]] = [row[v], v];
    let sum = 0;
    for (let v = 0; v < V; v++) sum += Math.exp(row[v] - max);
    loss += max + Math.log(sum) - row[y[n]];
  }
  return { dtype, bytes: weights.length, loss: loss / (B * T), argmax };
}

const results = [];
for (const dtype of ['float32', 'float16', 'int8']) {
  const r = await evaluate(dtype);
  const agree = r.argmax.reduce((n, a, i) => n + (a === (results[0]?.argmax ?? r.argmax)[i] ? 1 : 0), 0) / r.argmax.length;
  results.push({ ...r, agreement: agree });
  log(`${dtype.padEnd(7)} ${(r.bytes / 1024).toFixed(0).padStart(5)} KiB  validation loss ${r.loss.toFixed(4)} nats/char  top-1 agreement with float32 ${(100 * agree).toFixed(2)}%`);
}
const base = results[0];
// Quality holds: at most 0.01 nats/char more loss and ≥ 98% of the same most likely next character.
const holds = (r) => r.loss - base.loss <= 0.01 && r.agreement >= 0.98;
const chosen = opts.dtype === 'auto' ? [...results].reverse().find(holds) ?? base : results.find((r) => r.dtype === opts.dtype);
log(`exporting ${chosen.dtype}${opts.dtype === 'auto' ? ' (the smallest within 0.01 nats/char and 98% top-1 agreement of float32)' : ''}`);

const about = {
  corpus: 'tiny Shakespeare (packages/models/data/tinyshakespeare.txt)',
  command: `node packages/demo/scripts/model.mjs ${opts.from !== undefined ? `--from ${opts.from}` : opts.steps !== undefined ? `--steps ${opts.steps}` : `--seconds ${opts.seconds}`}${opts.dtype === 'auto' ? '' : ` --dtype ${opts.dtype}`}${passThrough.length ? ` -- ${passThrough.join(' ')}` : ''}`,
  trainedFor: opts.note !== undefined ? opts.note : opts.from !== undefined ? `from ${opts.from}` : opts.steps !== undefined ? `${opts.steps} updates` : `${opts.seconds} s`,
  exported: new Date().toISOString().slice(0, 10),
  quality: {
    measuredOn: `${B} × ${T} characters of the validation split (last 10%), from the zero state, on ${tf.getBackend()}`,
    ...Object.fromEntries(results.map((r) => [r.dtype, { bytes: r.bytes, loss: Number(r.loss.toFixed(4)), top1AgreementWithFloat32: Number(r.agreement.toFixed(4)) }])),
  },
};
const { json, weights } = encodeHostModel({ ...host, about }, chosen.dtype);
await mkdir(opts.out, { recursive: true });
await writeFile(join(opts.out, 'weights.bin'), weights);
await writeFile(join(opts.out, 'model.json'), json);
if (tmp) rmSync(tmp, { recursive: true, force: true });
log(`wrote ${join(opts.out, 'model.json')} and weights.bin (${(weights.length / 1024).toFixed(0)} KiB) in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
