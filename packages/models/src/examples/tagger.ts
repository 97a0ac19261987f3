/**
 * Example: a bidirectional tagger learns to tag each character with its class (vowel,
 * consonant, digit) and whether it ends its run, then is saved and tags a few strings.
 *
 *     npx tsc -b packages/models && node packages/models/dist/examples/tagger.js [out.json]
 */
import { Rng } from '@recurrent/core';
import { RunTagTask, runTags, TAGS } from '../tagger/data.js';
import { SequenceTagger } from '../tagger/model.js';
import { trainTagger } from '../tagger/train.js';
import { progress, saveJson, setup } from './shared.js';

const out = process.argv[2] ?? 'out/tagger.json';
await setup('tagger');
const task = new RunTagTask();
const model = new SequenceTagger({ cell: 'lstm', vocab: task.vocab.size, tags: TAGS.length, embedding: 8, hidden: 32, bidirectional: true, seed: 1 });
await trainTagger(model, { data: task.data(32), steps: 250, seed: 1, callbacks: [progress(50)] });

const rng = new Rng(11);
const test = Array.from({ length: 300 }, () => task.draw(rng));
const pred = await model.predict(test.map((t) => task.vocab.encode([...t])));
let right = 0;
let total = 0;
test.forEach((t, i) => runTags(t).forEach((tag, j) => { total++; if (pred[i]![j] === tag) right++; }));
console.log(`held-out token accuracy ${(right / total * 100).toFixed(2)}%`);
saveJson(out, await model.save());
for (const s of ['ab12e', 'stu99a', 'oa7km']) {
  const [tags] = await model.predict([task.vocab.encode([...s])]);
  console.log(`  ${s.padEnd(8)} ${tags!.map((t) => TAGS[t]).join(' ')}`);
}
model.dispose();
