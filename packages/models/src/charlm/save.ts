/**
 * A trained character model as a directory (model.json + weights.bin, see `format.ts` for the
 * bytes), on disk or behind a URL.
 *
 * Both files are written atomically (temporary file + rename), so a killed save never leaves a
 * half-written model. Loading rebuilds the same `CharRnn` and `Vocabulary`: the same samples come
 * from the same seed (float32; float16/int8 files give the dequantised weights). `node:fs` is
 * imported lazily, so importing this module is harmless in a browser, where `fetchCharModel` is
 * the loader.
 */
import { atomicWriteFile } from '@recurrent/core';
import type { CharRnn } from './model.js';
import type { Vocabulary } from './vocab.js';
import { buildCharModel, encodeCharModel, parseCharModel, weightsFileOf, WEIGHTS_FILE, type HostCharModel } from './format.js';
import type { WeightDtype } from './quantize.js';

const join = (dir: string, name: string) => (dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`);
const readFile = async (path: string): Promise<Uint8Array> => (await import('node:fs/promises')).readFile(path);

export interface SaveOptions {
  /** How matrices are stored: float32 (default, exact), float16 or int8 (per-column scales). */
  dtype?: WeightDtype;
  /** Provenance kept in model.json's `about`. */
  about?: Record<string, unknown>;
}

/** Writes `model` and `vocab` to directory `dir` (created if needed). */
export async function saveCharModel(dir: string, model: CharRnn, vocab: Vocabulary, options: SaveOptions = {}): Promise<void> {
  const { json, weights } = await encodeCharModel(model, vocab, options);
  await atomicWriteFile(join(dir, WEIGHTS_FILE), weights);
  await atomicWriteFile(join(dir, 'model.json'), json);
}

/** Reads a model directory written by {@link saveCharModel} to the host, without building it. */
export async function readHostCharModel(dir: string): Promise<HostCharModel> {
  const jsonPath = join(dir, 'model.json');
  let text: string;
  try {
    text = new TextDecoder().decode(await readFile(jsonPath));
  } catch (error) {
    throw new Error(`loadCharModel: cannot read ${jsonPath} (${(error as Error).message}); expected a directory written by "recurrent train" (model.json + weights.bin)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`loadCharModel: ${jsonPath} is not JSON (${(error as Error).message}); expected the model.json written by "recurrent train"`);
  }
  const weightsPath = join(dir, weightsFileOf(json));
  let bytes: Uint8Array;
  try {
    bytes = await readFile(weightsPath);
  } catch (error) {
    throw new Error(`loadCharModel: cannot read ${weightsPath} (${(error as Error).message}); model.json and its weights must stay side by side`);
  }
  return parseCharModel(json, bytes, jsonPath);
}

/** Reads a model saved by {@link saveCharModel}. */
export async function loadCharModel(dir: string): Promise<{ model: CharRnn; vocab: Vocabulary }> {
  return buildCharModel(await readHostCharModel(dir), join(dir, 'model.json'));
}

/**
 * Fetches model.json from `url` and its weights from beside it, and parses both on the host
 * (build it with `buildCharModel` on the backend of your choice). HTTP failures name the URL
 * and the status.
 *
 * @example
 * ```ts
 * const host = await fetchCharModel(new URL('model/model.json', location.href));
 * const { model, vocab } = buildCharModel(host);
 * ```
 */
export async function fetchCharModel(url: string | URL, fetchFn: typeof fetch = fetch): Promise<HostCharModel> {
  const get = async (u: URL, what: string): Promise<Response> => {
    let r: Response;
    try {
      r = await fetchFn(u);
    } catch (error) {
      throw new Error(`fetchCharModel: could not fetch the ${what} ${u.href} (${(error as Error).message})`);
    }
    if (!r.ok) throw new Error(`fetchCharModel: the ${what} ${u.href} answered HTTP ${r.status}${r.statusText ? ` ${r.statusText}` : ''}`);
    return r;
  };
  const base = typeof url === 'string' ? new URL(url, (globalThis as { location?: { href: string } }).location?.href) : url;
  const text = await (await get(base, 'model description')).text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`fetchCharModel: ${base.href} is not JSON (${(error as Error).message}); is the URL that of a model.json?`);
  }
  const weightsUrl = new URL(weightsFileOf(json), base);
  const bytes = new Uint8Array(await (await get(weightsUrl, 'weights file')).arrayBuffer());
  return parseCharModel(json, bytes, base.href);
}
