#!/usr/bin/env node
/**
 * The main job (for now a short one; the full char-rnn recipe replaces it): train a character
 * LSTM on tiny Shakespeare for a time budget on the best backend here, report the validation loss
 * on the last 10% of the text, then write.
 *
 *   node packages/models/dist/main.js [--seconds 120] [--backend best] [--hidden 256] [--layers 1]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { useBackend, type BackendName } from '@recurrent/core';
import { splitLast } from './charlm/data.js';
import { CharLstm } from './charlm/model.js';
import { generate } from './charlm/sample.js';
import { evaluate, train } from './charlm/train.js';
import { Vocabulary } from './charlm/vocab.js';

const DEFAULT_CORPUS = fileURLToPath(new URL('../data/tinyshakespeare.txt', import.meta.url));

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '120' },
    backend: { type: 'string', default: 'best' },
    hidden: { type: 'string', default: '256' },
    layers: { type: 'string', default: '1' },
    batch: { type: 'string', default: '32' },
    steps: { type: 'string', default: '64' },
    text: { type: 'string', default: DEFAULT_CORPUS },
    length: { type: 'string', default: '500' },
    seed: { type: 'string', default: '1' },
  },
});
const num = (name: keyof typeof values & string, min: number) => {
  const v = Number(values[name]);
  if (!Number.isFinite(v) || v < min) throw new Error(`--${name} must be a number ≥ ${min}, got "${String(values[name])}"`);
  return v;
};

const log = (line: string) => process.stdout.write(`${line}\n`);
const backend = await useBackend(values.backend as BackendName | 'best');
log(`backend: ${backend.name} (${backend.device ?? 'no description'})`);

const text = readFileSync(values.text as string, 'utf8');
if (text.length < 1000) throw new Error(`${values.text}: expected a text of at least 1,000 characters, got ${text.length}`);
const vocab = Vocabulary.fromText(text);
const { train: trainIds, validation } = splitLast(vocab.encode(text));
log(`corpus: ${text.length.toLocaleString('en')} characters, vocabulary ${vocab.size}; training on the first 90%, validating on the last 10%`);

const hidden = num('hidden', 1);
const layers = num('layers', 1);
const batch = num('batch', 1);
const steps = num('steps', 2);
const model = new CharLstm({ vocabSize: vocab.size, embedding: 64, hidden, layers, seed: num('seed', 0) });
log(`model: ${layers} × LSTM(${hidden}), batch ${batch}, ${steps} steps of truncated BPTT, ${num('seconds', 1)} s budget`);

const updates = await train(model, trainIds, {
  batch,
  steps,
  learningRate: 2e-3,
  clip: 5,
  seconds: num('seconds', 1),
  onProgress: (p) =>
    log(`update ${String(p.update).padStart(5)} | loss ${p.loss.toFixed(3)} nats/char | grad norm ${p.gradNorm.toFixed(2)} | ${Math.round(p.charsPerSecond).toLocaleString('en')} chars/s | ${p.elapsed.toFixed(0)} s`),
});
const valLoss = await evaluate(model, validation, batch, steps);
log(`\n${updates} updates; validation loss ${valLoss.toFixed(3)} nats/char on the last 10%\n`);
log('--- sample (temperature 0.8) ---');
process.stdout.write('ROMEO:');
for await (const ch of generate(model, vocab, 'ROMEO:', num('length', 1), { temperature: 0.8 })) process.stdout.write(ch);
process.stdout.write('\n');
model.dispose();
