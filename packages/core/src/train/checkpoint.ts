/**
 * Checkpoint files: one self-checking binary blob per checkpoint, and where blobs are kept.
 *
 * Layout (little-endian):
 *
 *     "RCKPT" 0x00 0x01 0x00    magic and format version 1
 *     uint32                    byte length n of the JSON header
 *     uint32                    FNV-1a hash of the header and data that follow
 *     n bytes                   UTF-8 JSON: { meta, arrays: [{ name, dtype, shape, offset, length }] }
 *     …                         the arrays' raw float32/int32 bytes, back to back
 *
 * One blob per checkpoint lets a store be atomic with a single rename: a reader sees the old
 * checkpoint or the new one, never a mix. The length and hash catch a blob cut short or damaged
 * by anything that bypassed the store (a disk error, a copy cut short, an editor); such a blob
 * raises {@link CorruptCheckpointError}, which is what makes the trainer fall back to the
 * previous checkpoint (`<name>.prev`, kept by {@link rotateCheckpoint}). Everything here is
 * browser-safe; files on disk live in `checkpoint-fs.ts` (Node only).
 */
import type { SavedArray } from './optimizers.js';

const MAGIC = [0x52, 0x43, 0x4b, 0x50, 0x54, 0x00, 0x01, 0x00]; // "RCKPT", 0, version 1, 0
const PREFIX = MAGIC.length + 8;

/** A JSON value (what checkpoint metadata may contain). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A decoded checkpoint: metadata and named arrays. */
export interface CheckpointData {
  meta: { [key: string]: Json };
  arrays: SavedArray[];
}

/** Where checkpoint blobs are kept. `write` must be atomic: afterwards a `read` returns the old blob or the new one, whole. */
export interface CheckpointStore {
  write(name: string, blob: Uint8Array): Promise<void>;
  /** The blob, or undefined when there is none by that name. */
  read(name: string): Promise<Uint8Array | undefined>;
  /**
   * Optional: moves blob `from` to `to` atomically, replacing `to`; nothing when `from` does not
   * exist. Without it, {@link rotateCheckpoint} copies (read + write).
   */
  move?(from: string, to: string): Promise<void>;
  /** Optional: where blob `name` lives, for messages (a file path). */
  where?(name: string): string;
}

/** A blob that fails the magic, length or hash check: damaged, cut short, or not a checkpoint. */
export class CorruptCheckpointError extends Error {
  override name = 'CorruptCheckpointError';
}

/** The name under which the checkpoint before `name` is kept. */
export const previousName = (name: string): string => `${name}.prev`;

/** Where `name` lives in `store`, for messages: the file path when the store knows it. */
export const describeLocation = (store: CheckpointStore, name: string): string => (store.where ? store.where(name) : `"${name}"`);

/**
 * Keeps the current blob `name` as `<name>.prev` before `name` is overwritten, so a checkpoint
 * later found damaged has a good predecessor to fall back to.
 */
export async function rotateCheckpoint(store: CheckpointStore, name: string): Promise<void> {
  if (store.move) return store.move(name, previousName(name));
  const blob = await store.read(name);
  if (blob !== undefined) await store.write(previousName(name), blob);
}

/**
 * Checkpoints in memory (tests, browsers without storage). Blobs are copied in and out, so what
 * is stored cannot change after `write` returns.
 *
 * @example
 * ```ts
 * const store = new MemoryCheckpointStore();
 * const trainer = new Trainer({ ..., checkpoints: { store, every: 100 } });
 * ```
 */
export class MemoryCheckpointStore implements CheckpointStore {
  private readonly blobs = new Map<string, Uint8Array>();

  async write(name: string, blob: Uint8Array): Promise<void> {
    this.blobs.set(name, blob.slice());
  }

  async read(name: string): Promise<Uint8Array | undefined> {
    return this.blobs.get(name)?.slice();
  }

  async move(from: string, to: string): Promise<void> {
    const blob = this.blobs.get(from);
    if (blob === undefined) return;
    this.blobs.set(to, blob);
    this.blobs.delete(from);
  }

  /** The names stored so far. */
  names(): string[] {
    return [...this.blobs.keys()];
  }
}

/**
 * 32-bit FNV-1a of bytes[start…] as an unsigned integer: the checksum of checkpoints (here) and
 * of the character model's weight file (@recurrent/models, as 8 hex digits).
 */
export function fnv1a(bytes: Uint8Array, start = 0): number {
  let h = 0x811c9dc5;
  for (let i = start; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

/** Serialises a checkpoint into one blob. */
export function encodeCheckpoint(c: CheckpointData): Uint8Array {
  let offset = 0;
  const index = c.arrays.map((a) => {
    const expected = a.shape.reduce((p, d) => p * d, 1);
    if (a.data.length !== expected) throw new Error(`encodeCheckpoint: ${a.name} has ${a.data.length} values for shape [${a.shape.join(', ')}]`);
    const entry = { name: a.name, dtype: a.dtype, shape: a.shape, offset, length: a.data.byteLength };
    offset += a.data.byteLength;
    return entry;
  });
  const header = new TextEncoder().encode(JSON.stringify({ meta: c.meta, arrays: index }));
  const blob = new Uint8Array(PREFIX + header.length + offset);
  blob.set(MAGIC, 0);
  const view = new DataView(blob.buffer);
  view.setUint32(MAGIC.length, header.length, true);
  blob.set(header, PREFIX);
  let at = PREFIX + header.length;
  for (const a of c.arrays) {
    const bytes = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
    blob.set(bytes, at); // typed arrays are little-endian on every platform tfjs runs on
    at += bytes.length;
  }
  view.setUint32(MAGIC.length + 4, fnv1a(blob, PREFIX), true);
  return blob;
}

/** Parses a blob written by {@link encodeCheckpoint}, checking magic, lengths and hash. */
export function decodeCheckpoint(blob: Uint8Array, what = 'checkpoint'): CheckpointData {
  const bad = (why: string): never => {
    throw new CorruptCheckpointError(`decodeCheckpoint: ${what} is not a valid checkpoint (${why})`);
  };
  if (blob.length < PREFIX || MAGIC.some((b, i) => blob[i] !== b)) bad(`expected the "RCKPT" v1 magic in the first ${MAGIC.length} bytes`);
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const headerLength = view.getUint32(MAGIC.length, true);
  if (PREFIX + headerLength > blob.length) bad(`header of ${headerLength} bytes runs past the end of a ${blob.length}-byte blob`);
  const hash = view.getUint32(MAGIC.length + 4, true);
  if (fnv1a(blob, PREFIX) !== hash) bad('hash mismatch: the blob was cut short or altered');
  let header: { meta: { [key: string]: Json }; arrays: { name: string; dtype: 'float32' | 'int32'; shape: number[]; offset: number; length: number }[] };
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(blob.subarray(PREFIX, PREFIX + headerLength))) as typeof header;
  } catch (error) {
    return bad(`unreadable header: ${(error as Error).message}`);
  }
  if (header === null || typeof header !== 'object' || !Array.isArray(header.arrays)) bad('header without an array index');
  const base = PREFIX + headerLength;
  const arrays = header.arrays.map((e): SavedArray => {
    if (base + e.offset + e.length > blob.length) bad(`array ${e.name} runs past the end`);
    const bytes = blob.slice(base + e.offset, base + e.offset + e.length); // copy: aligned, owned
    const data = e.dtype === 'int32' ? new Int32Array(bytes.buffer) : new Float32Array(bytes.buffer);
    return { name: e.name, dtype: e.dtype, shape: e.shape, data };
  });
  return { meta: header.meta, arrays };
}
