/** The character vocabulary of a text: sorted unique code points, saved with the model. */

export class Vocabulary {
  readonly chars: readonly string[];
  private readonly index: Map<string, number>;

  constructor(chars: readonly string[]) {
    if (chars.length < 2) throw new Error(`Vocabulary: expected at least 2 distinct characters, got ${chars.length}`);
    this.chars = chars;
    this.index = new Map(chars.map((c, i) => [c, i]));
    if (this.index.size !== chars.length) throw new Error('Vocabulary: characters must be distinct');
  }

  /** The vocabulary of `text`: every distinct character (code point), sorted. */
  static fromText(text: string): Vocabulary {
    return new Vocabulary([...new Set(Array.from(text))].sort());
  }

  get size(): number {
    return this.chars.length;
  }

  /** Character ids of `text`; throws on a character outside the vocabulary, naming it. */
  encode(text: string): Int32Array {
    const chars = Array.from(text);
    const out = new Int32Array(chars.length);
    chars.forEach((c, i) => {
      const id = this.index.get(c);
      if (id === undefined) throw new Error(`Vocabulary: character ${JSON.stringify(c)} at position ${i} is not in the vocabulary`);
      out[i] = id;
    });
    return out;
  }

  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) s += this.chars[ids[i]!] ?? '';
    return s;
  }

  toJSON(): { chars: string[] } {
    return { chars: [...this.chars] };
  }
}
