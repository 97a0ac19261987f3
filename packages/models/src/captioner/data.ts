/**
 * Procedurally drawn scenes and their captions: two shapes (circle, square, triangle) in three
 * colours on a black S×S RGB canvas, side by side or stacked, captioned deterministically as
 * "a red circle left of a blue square" (the left one first) or "a green triangle above a red
 * circle" (the upper one first). Positions jitter, so held-out scenes are new images.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng, type TrainData } from '@recurrent/core';
import { BOS, EOS, padIds, Vocab } from '../common/tokens.js';

export const COLOURS = { red: [1, 0, 0], green: [0, 1, 0], blue: [0, 0, 1] } as const;
export const SHAPES = ['circle', 'square', 'triangle'] as const;
export type Colour = keyof typeof COLOURS;
export type Shape = (typeof SHAPES)[number];

/** The caption vocabulary (after PAD, BOS, EOS). */
export const CAPTION_VOCAB = new Vocab(['a', ...Object.keys(COLOURS), ...SHAPES, 'left', 'of', 'above']);

export interface SceneObject {
  colour: Colour;
  shape: Shape;
  /** Centre, in pixels. */
  x: number;
  y: number;
}

/** A scene: the image [S, S, 3] (row-major floats), its objects and its caption words. */
export interface Scene {
  pixels: Float32Array;
  objects: [SceneObject, SceneObject];
  relation: 'left of' | 'above';
  caption: string[];
}

/** Caption batch: images [B, S, S, 3]; decoder inputs (BOS w…), targets (w… EOS), mask [B, T]. */
export interface CaptionBatch {
  images: tf.Tensor4D;
  wordsIn: tf.Tensor2D;
  wordsOut: tf.Tensor2D;
  mask: tf.Tensor2D;
}

/** Whether pixel (px, py) lies in a shape of half-size r centred at (x, y). */
function inside(shape: Shape, px: number, py: number, x: number, y: number, r: number): boolean {
  const dx = px - x;
  const dy = py - y;
  if (shape === 'circle') return dx * dx + dy * dy <= r * r + 0.5;
  if (shape === 'square') return Math.abs(dx) <= r - 0.5 && Math.abs(dy) <= r - 0.5;
  // Triangle, apex up: the half-width grows from 0 at the top (y − r) to r at the base (y + r).
  return dy >= -r && dy <= r && Math.abs(dx) <= (dy + r) / 2 + 0.25;
}

export class SceneTask {
  /** Canvas side in pixels (multiple of 4: the encoder pools twice by 2). */
  readonly size: number;

  constructor(size = 24) {
    if (!(Number.isInteger(size) && size >= 12 && size % 4 === 0)) throw new Error(`SceneTask: size must be a multiple of 4 and ≥ 12, found ${size}`);
    this.size = size;
  }

  /** Draws a random scene. */
  draw(rng: Rng): Scene {
    const S = this.size;
    const r = Math.floor(S / 5);
    const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!;
    const colours = Object.keys(COLOURS) as Colour[];
    const relation = rng.next() < 0.5 ? 'left of' : 'above';
    // Centres keep each shape (extent ±r) inside its half: [0, S/2) and [S/2, S); no overlap.
    const near = () => r + rng.int(2);
    const far = () => S - 1 - r - rng.int(2);
    const free = () => r + rng.int(S - 2 * r);
    const a = { colour: pick(colours), shape: pick(SHAPES) };
    const b = { colour: pick(colours), shape: pick(SHAPES) };
    const objects: [SceneObject, SceneObject] = relation === 'left of'
      ? [{ ...a, x: near(), y: free() }, { ...b, x: far(), y: free() }]
      : [{ ...a, x: free(), y: near() }, { ...b, x: free(), y: far() }];
    const pixels = new Float32Array(S * S * 3);
    for (const o of objects) {
      const rgb = COLOURS[o.colour];
      for (let py = 0; py < S; py++) for (let px = 0; px < S; px++) {
        if (inside(o.shape, px, py, o.x, o.y, r)) pixels.set(rgb, (py * S + px) * 3);
      }
    }
    const caption = ['a', a.colour, a.shape, ...relation.split(' '), 'a', b.colour, b.shape];
    return { pixels, objects, relation, caption };
  }

  batch(scenes: readonly Scene[]): CaptionBatch {
    const S = this.size;
    const images = tf.tensor4d(Float32Array.from(scenes.flatMap((s) => Array.from(s.pixels))), [scenes.length, S, S, 3]);
    const ids = scenes.map((s) => CAPTION_VOCAB.encode(s.caption));
    const inp = padIds(ids.map((w) => [BOS, ...w]));
    const out = padIds(ids.map((w) => [...w, EOS]));
    inp.mask.dispose();
    return { images, wordsIn: inp.ids, wordsOut: out.ids, mask: out.mask };
  }

  data(batch: number): TrainData<CaptionBatch> {
    return { batch: (_p, rng) => this.batch(Array.from({ length: batch }, () => this.draw(rng))) };
  }

  /** The image as ASCII art (R/G/B letters on dots), for examples and debugging. */
  ascii(scene: Scene): string {
    const S = this.size;
    const rows: string[] = [];
    for (let y = 0; y < S; y++) {
      let row = '';
      for (let x = 0; x < S; x++) {
        const i = (y * S + x) * 3;
        row += scene.pixels[i] ? 'R' : scene.pixels[i + 1] ? 'G' : scene.pixels[i + 2] ? 'B' : '.';
      }
      rows.push(row);
    }
    return rows.join('\n');
  }
}
