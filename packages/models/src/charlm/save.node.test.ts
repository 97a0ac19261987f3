/**
 * Model directories on disk: a quantised save loads back as what it says, and a weights file cut
 * short on disk is refused with the file named and what to do.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CharRnn } from './model.js';
import { loadCharModel, readHostCharModel, saveCharModel } from './save.js';
import { Vocabulary } from './vocab.js';

const dir = await mkdtemp(join(tmpdir(), 'recurrent-save-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('saveCharModel / loadCharModel', () => {
  it('saves int8 (a quarter of float32 for the matrices, with provenance) and loads it back', async () => {
    const model = new CharRnn({ vocabSize: 4, cell: 'lstm', layers: 1, hidden: 8, embedding: 4, dropout: 0, seed: 2 });
    const vocab = new Vocabulary(['a', 'b', 'c', 'd']);
    await saveCharModel(join(dir, 'f32'), model, vocab);
    await saveCharModel(join(dir, 'i8'), model, vocab, { dtype: 'int8', about: { note: 'test' } });
    const f32 = (await readFile(join(dir, 'f32', 'weights.bin'))).length;
    const i8 = (await readFile(join(dir, 'i8', 'weights.bin'))).length;
    // float32: (4·4 + 4·32 + 8·32 + 32 + 8·4 + 4) · 4 = 1872 bytes. int8: matrices 1 byte per value
    // + 4 per column (embed 16+16, kernel 128+128, recurrent 256+128, head 32+16), vectors float32 (128+16) = 864.
    expect(f32).toBe(1872);
    expect(i8).toBe(864);
    const host = await readHostCharModel(join(dir, 'i8'));
    expect(host.dtype).toBe('int8');
    expect(host.about).toEqual({ note: 'test' });
    const loaded = await loadCharModel(join(dir, 'i8'));
    expect(loaded.vocab.chars).toEqual(vocab.chars);
    loaded.model.dispose();
    model.dispose();
  });

  it('refuses a truncated weights.bin on disk', async () => {
    const path = join(dir, 'f32', 'weights.bin');
    const bytes = await readFile(path);
    await writeFile(path, bytes.subarray(0, 1000));
    await expect(loadCharModel(join(dir, 'f32'))).rejects.toThrow(/weights\.bin has 1000 bytes, .*model\.json expects 1872; the file is truncated/);
  });
});
