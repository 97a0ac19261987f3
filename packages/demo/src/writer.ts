/**
 * The live writer: the model on the active backend and a stateful `CharGenerator` that draws one
 * character at a time, so "continue" picks up exactly where "stop" left off. A backend switch
 * rebuilds the model from the host weights on the new backend and restores the generator's state
 * read off the old one.
 */
import { buildCharModel, CharGenerator, type CharRnn, type GeneratorSnapshot, type HostCharModel, type Vocabulary } from '@recurrent/models';

export interface RunCallbacks {
  /** Read before every character, so the slider acts at once. */
  temperature(): number;
  onChar(ch: string): void;
  /** Characters per second so far in this run, about four times a second and at the end. */
  onSpeed(charsPerSecond: number, chars: number): void;
}

export class Writer {
  private model: CharRnn;
  readonly vocab: Vocabulary;
  private generator: CharGenerator | undefined;
  private stopRequested = false;
  private running: Promise<void> | undefined;
  /** Everything the generator has read: the priming text, then the generated characters. */
  text = '';
  prime = '';
  private seed = 1;

  constructor(readonly host: HostCharModel) {
    const built = buildCharModel(host);
    this.model = built.model;
    this.vocab = built.vocab;
  }

  get isRunning(): boolean {
    return this.running !== undefined;
  }

  get canContinue(): boolean {
    return this.generator !== undefined;
  }

  /** Characters of `text` outside the vocabulary, in order of appearance. */
  unknownChars(text: string): string[] {
    const known = new Set(this.vocab.chars);
    return [...new Set(Array.from(text).filter((c) => !known.has(c)))];
  }

  /** Starts over from `prime` (its characters must be in the vocabulary). */
  start(prime: string, seed: number): void {
    this.generator?.dispose();
    this.seed = seed;
    this.prime = prime;
    this.text = prime;
    this.generator = new CharGenerator(this.model, this.vocab, { seed });
    this.generator.feed(prime);
  }

  /** Draws `length` more characters (stops early on {@link stop}). */
  run(length: number, cb: RunCallbacks): Promise<void> {
    if (this.running) throw new Error('Writer.run: already running; stop it first');
    if (this.generator === undefined) throw new Error('Writer.run: call start(prime) first');
    const gen = this.generator;
    this.stopRequested = false;
    this.running = (async () => {
      const t0 = performance.now();
      let last = t0;
      let n = 0;
      try {
        while (n < length && !this.stopRequested) {
          const ch = await gen.next({ temperature: cb.temperature() });
          this.text += ch;
          n++;
          cb.onChar(ch);
          const now = performance.now();
          if (now - last > 250) {
            cb.onSpeed((1000 * n) / (now - t0), n);
            last = now;
          }
        }
      } finally {
        cb.onSpeed((1000 * n) / Math.max(1e-3, performance.now() - t0), n);
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** Asks the running loop to stop after the character in flight, and waits for it. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    await this.running?.catch(() => undefined);
  }

  /** The generator's state on the host, to carry across a backend switch (undefined before start). */
  snapshot(): Promise<GeneratorSnapshot | undefined> {
    return this.generator?.snapshot() ?? Promise.resolve(undefined);
  }

  /**
   * Rebuilds the model on the backend that is now active (call after `useBackend`). With the
   * `snapshot` taken before the switch, the generator continues exactly where it was, same draws
   * included; without it, it re-reads the text so far (one step per character) with a new seed.
   */
  rebuild(snapshot?: GeneratorSnapshot): void {
    this.generator?.dispose();
    this.model.dispose();
    this.model = buildCharModel(this.host).model;
    if (this.generator !== undefined) {
      this.generator = new CharGenerator(this.model, this.vocab, { seed: this.seed + this.text.length });
      if (snapshot) this.generator.restore(snapshot);
      else this.generator.feed(this.text);
    }
  }

  dispose(): void {
    this.generator?.dispose();
    this.model.dispose();
  }
}
