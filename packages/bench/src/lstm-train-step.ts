#!/usr/bin/env node
/**
 * The ops issue's reference measurement: one LSTM training step (forward, backward, Adam; dense
 * softmax head over 64 classes at every step) at batch 32, 64 steps, 64 inputs, 256 hidden, for
 * ops.lstm and tf.layers.lstm in the same process, alternated.
 *
 *   node packages/bench/dist/lstm-train-step.js [--backend wasm] [--reps 5] [--hidden 256] [--json]
 */
import { parseArgs } from 'node:util';
import * as os from 'node:os';
import { useBackend, type BackendName } from '@recurrent/core';
import { layersLstm, measure, oursLstm, type StepShape } from './train-step.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    reps: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    batch: { type: 'string', default: '32' },
    time: { type: 'string', default: '64' },
    inputs: { type: 'string', default: '64' },
    hidden: { type: 'string', default: '256' },
    classes: { type: 'string', default: '64' },
    'skip-layers': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const int = (name: keyof typeof values & string) => {
  const v = Number(values[name]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer, got "${String(values[name] as string)}"`);
  return v;
};
const shape: StepShape = { batch: int('batch'), time: int('time'), inputs: int('inputs'), hidden: int('hidden'), classes: int('classes') };
const report = await useBackend(values.backend as BackendName);
const log = (line: string) => process.stderr.write(`${line}\n`);
log(`backend ${report.name} (${report.device ?? ''}); shape ${JSON.stringify(shape)}`);
const models = [oursLstm(shape), ...(values['skip-layers'] ? [] : [layersLstm(shape)])];
const results = await measure(models, shape, int('reps'), int('warmup'), log);
for (const m of models) m.dispose();
const ours = results[0]!;
const theirs = results[1];
const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`;
if (values.json) {
  console.log(JSON.stringify({ date: new Date().toISOString(), machine, backend: report.name, shape, results, speedup: theirs ? theirs.medianMs / ours.medianMs : undefined }, null, 2));
} else {
  console.log(`\n${new Date().toISOString().slice(0, 10)} · ${machine} · backend ${report.name}`);
  console.log('| model | ms / step (median, min–max) | tokens/s | kernels / time step |');
  console.log('|---|---|---|---|');
  for (const r of results) {
    console.log(`| ${r.name} | ${r.medianMs.toFixed(0)} (${r.minMs.toFixed(0)}–${r.maxMs.toFixed(0)}) | ${r.tokensPerSecond.toFixed(0)} | ${r.kernelsPerTimeStep.toFixed(1)} |`);
  }
  if (theirs) console.log(`\nspeedup over tf.layers.lstm: ${(theirs.medianMs / ours.medianMs).toFixed(2)}×`);
}
