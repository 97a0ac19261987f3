/**
 * Example: a sequence classifier learns whether a string contains "abc", then is saved, loaded
 * and asked about a few strings.
 *
 *     npx tsc -b packages/models && node packages/models/dist/examples/classifier.js [out.json]
 */
import { Rng } from '@recurrent/core';
import { PatternTask } from '../classifier/data.js';
import { SequenceClassifier } from '../classifier/model.js';
import { trainClassifier } from '../classifier/train.js';
import { progress, saveJson, setup } from './shared.js';

const out = process.argv[2] ?? 'out/classifier.json';
await setup('classifier');
const task = new PatternTask({ alphabet: 'abcd', pattern: 'abc', minLength: 4, maxLength: 12 });
const model = new SequenceClassifier({ cell: 'lstm', vocab: task.vocab.size, classes: 2, embedding: 8, hidden: 32, seed: 1 });
await trainClassifier(model, { data: task.data(64), steps: 300, seed: 1, callbacks: [progress(50)] });

const rng = new Rng(7);
const test = Array.from({ length: 500 }, () => task.draw(rng));
const pred = await model.predict(test.map((e) => task.vocab.encode([...e.text])));
console.log(`held-out accuracy ${(pred.filter((p, i) => p === test[i]!.label).length / test.length * 100).toFixed(1)}% (chance 50%)`);
saveJson(out, await model.save());
const loaded = SequenceClassifier.load(await model.save());
for (const s of ['dabcd', 'acbacb', 'aabcc', 'cbacba']) {
  const [p] = await loaded.probabilities([task.vocab.encode([...s])]);
  console.log(`  ${s.padEnd(8)} p(contains abc) = ${p![1]!.toFixed(3)}`);
}
model.dispose();
loaded.dispose();
