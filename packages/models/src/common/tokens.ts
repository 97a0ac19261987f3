/**
 * Token-id helpers shared by the sequence models: the reserved ids (PAD 0, BOS 1, EOS 2), a
 * small symbol vocabulary, and padding ragged id lists into [B, T] tensors with a 0/1 mask.
 */
import * as tf from '@tensorflow/tfjs-core';

export const PAD = 0;
export const BOS = 1;
export const EOS = 2;

/** A vocabulary of symbols (characters or words) after the three reserved ids. */
export class Vocab {
  private readonly index = new Map<string, number>();

  constructor(readonly symbols: readonly string[]) {
    symbols.forEach((s, i) => {
      if (this.index.has(s)) throw new Error(`Vocab: symbol "${s}" appears twice; symbols must be distinct`);
      this.index.set(s, i + 3);
    });
  }

  /** Ids including PAD, BOS and EOS. */
  get size(): number {
    return this.symbols.length + 3;
  }

  encode(tokens: readonly string[]): number[] {
    return tokens.map((t) => {
      const id = this.index.get(t);
      if (id === undefined) throw new Error(`Vocab: expected one of ${this.symbols.join(' ')}; found "${t}"`);
      return id;
    });
  }

  /** Symbols of ids, stopping at EOS and skipping PAD/BOS. */
  decode(ids: readonly number[]): string[] {
    const out: string[] = [];
    for (const id of ids) {
      if (id === EOS) break;
      if (id >= 3) out.push(this.symbols[id - 3] ?? '?');
    }
    return out;
  }
}

/** Pads id lists to [B, T] (T = `length` or the longest) with PAD; mask [B, T] is 1 on real ids. */
export function padIds(seqs: readonly (readonly number[])[], length?: number): { ids: tf.Tensor2D; mask: tf.Tensor2D } {
  const T = length ?? Math.max(1, ...seqs.map((s) => s.length));
  const ids = new Int32Array(seqs.length * T);
  const mask = new Float32Array(seqs.length * T);
  seqs.forEach((s, b) => {
    if (s.length > T) throw new Error(`padIds: sequence ${b} has ${s.length} ids; expected at most ${T}`);
    s.forEach((id, t) => {
      ids[b * T + t] = id;
      mask[b * T + t] = 1;
    });
  });
  return { ids: tf.tensor2d(ids, [seqs.length, T], 'int32'), mask: tf.tensor2d(mask, [seqs.length, T]) };
}
