/**
 * Example: an encoder–decoder learns to reverse strings (teacher forcing with a little
 * scheduled sampling), then is saved and decodes held-out strings greedily and with beam search.
 *
 *     npx tsc -b packages/models && node packages/models/dist/examples/seq2seq.js [out.json]
 */
import { StringTask } from '../seq2seq/data.js';
import { Seq2Seq } from '../seq2seq/model.js';
import { trainSeq2Seq } from '../seq2seq/train.js';
import { progress, saveJson, setup } from './shared.js';

const out = process.argv[2] ?? 'out/seq2seq.json';
await setup('seq2seq');
const task = new StringTask({ alphabet: 'abcdef', minLength: 1, maxLength: 8 });
const held = task.holdOut(300, 777);
const model = new Seq2Seq({ cell: 'lstm', srcVocab: task.vocab.size, tgtVocab: task.vocab.size, embedding: 16, hidden: 96, seed: 1 });
await trainSeq2Seq(model, { data: task.data(64), steps: 800, seed: 1, maxSampling: 0.1, callbacks: [progress(100)] });

const decoded = await model.greedy(held.map((s) => task.pair(s).src), 10);
const exact = decoded.filter((d, i) => task.vocab.decode(d.ids).join('') === task.transform(held[i]!)).length;
console.log(`held-out exact match (greedy) ${(exact / held.length * 100).toFixed(1)}%`);
saveJson(out, await model.save());
for (const s of held.slice(0, 5)) {
  const g = await model.greedy([task.pair(s).src], 10);
  const b = await model.beamSearch(task.pair(s).src, 4, 10);
  console.log(`  ${s.padEnd(9)} greedy ${task.vocab.decode(g[0]!.ids).join('').padEnd(9)} (log p ${g[0]!.score.toFixed(3)})  beam 4 ${task.vocab.decode(b.ids).join('').padEnd(9)} (log p ${b.score.toFixed(3)})`);
}
model.dispose();
