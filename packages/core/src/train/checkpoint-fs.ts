/**
 * Node only: checkpoints and text files on disk, written atomically. `node:fs` is loaded lazily
 * through `importOptional` (hidden from bundlers, typed by the few signatures below rather than
 * `@types/node`, which core does not compile against), so importing this module is harmless in a
 * browser; calling it there fails with a clear message.
 *
 * Atomic write = write a temporary file in the same directory, fsync it, rename it over the
 * target (rename within one file system is atomic on POSIX and on NTFS), then fsync the
 * directory so the rename itself survives a power cut. A process killed at any moment leaves
 * either the old file or the new one, plus at worst a stray `*.tmp-*` file that readers ignore
 * and the next write of the same name removes.
 */
import { importOptional, isNode } from '../backend/environment.js';
import type { CheckpointStore } from './checkpoint.js';

/** The slice of `node:fs/promises` used here. */
interface FileHandle {
  writeFile(data: Uint8Array | string): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}
interface Fs {
  mkdir(path: string, options: { recursive: true }): Promise<unknown>;
  open(path: string, flags: string): Promise<FileHandle>;
  readdir(path: string): Promise<string[]>;
  readFile(path: string): Promise<Uint8Array>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  writeFile(path: string, data: string, options: { flag: string }): Promise<void>;
}

let fsModule: Promise<Fs> | undefined;
function fs(): Promise<Fs> {
  if (!isNode()) return Promise.reject(new Error('checkpoint-fs: files need Node.js; in a browser use MemoryCheckpointStore or your own CheckpointStore'));
  fsModule ??= importOptional<Fs>('node:fs/promises');
  return fsModule;
}

const dirname = (p: string) => {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i < 0 ? '.' : i === 0 ? p.slice(0, 1) : p.slice(0, i);
};
const basename = (p: string) => p.slice(Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\')) + 1);
const join = (dir: string, name: string) => (dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`);
const pid = () => (globalThis as { process?: { pid?: number } }).process?.pid ?? 0;

let counter = 0;

/**
 * Writes `data` to `path` atomically (temp file + fsync + rename + directory fsync).
 *
 * @example
 * ```ts
 * await atomicWriteFile('runs/a/curves.svg', svg);
 * ```
 */
export async function atomicWriteFile(path: string, data: Uint8Array | string, hooks: AtomicWriteHooks = {}): Promise<void> {
  const { mkdir, open, rename } = await fs();
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = `${path}.tmp-${pid()}-${Date.now().toString(36)}-${counter++}`;
  // A full disk or an I/O error leaves no half-written temp file behind (the target is untouched).
  const cleanUp = async (error: unknown): Promise<never> => {
    await (await fs()).unlink(tmp).catch(() => undefined);
    throw error;
  };
  const file = await open(tmp, 'w');
  try {
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
  } catch (error) {
    await cleanUp(error);
  }
  await hooks.beforeRename?.(tmp); // a test seam standing for a crash: no clean-up after it
  await rename(tmp, path).catch(cleanUp);
  await syncDirectory(dir);
  await removeStrayTemps(path);
}

/** Test seams: e.g. simulate a crash between writing the temp file and renaming it. */
export interface AtomicWriteHooks {
  beforeRename?: (tempPath: string) => void | Promise<void>;
}

async function syncDirectory(dir: string): Promise<void> {
  try {
    const d = await (await fs()).open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // Some platforms (Windows) cannot open or fsync a directory; the rename is still atomic there.
  }
}

async function removeStrayTemps(path: string): Promise<void> {
  const { readdir, unlink } = await fs();
  const prefix = `${basename(path)}.tmp-`;
  const dir = dirname(path);
  for (const name of await readdir(dir)) {
    if (name.startsWith(prefix)) await unlink(join(dir, name)).catch(() => undefined);
  }
}

/**
 * Checkpoints as `<dir>/<name>.ckpt` files, each replaced atomically.
 *
 * @example
 * ```ts
 * const store = new FileCheckpointStore('runs/charlm');
 * const trainer = new Trainer({ ..., checkpoints: { store, every: 200 } });
 * await trainer.resume(); // continues from runs/charlm/last.ckpt when it exists
 * ```
 */
export class FileCheckpointStore implements CheckpointStore {
  constructor(readonly dir: string, private readonly hooks: AtomicWriteHooks = {}) {}

  path(name: string): string {
    if (!/^[\w.-]+$/.test(name)) throw new Error(`FileCheckpointStore: checkpoint names must be [A-Za-z0-9_.-]+, got "${name}"`);
    return join(this.dir, `${name}.ckpt`);
  }

  async write(name: string, blob: Uint8Array): Promise<void> {
    await atomicWriteFile(this.path(name), blob, this.hooks);
  }

  where(name: string): string {
    return this.path(name);
  }

  /** Renames `<from>.ckpt` over `<to>.ckpt` (atomic); nothing when `<from>.ckpt` does not exist. */
  async move(from: string, to: string): Promise<void> {
    try {
      await (await fs()).rename(this.path(from), this.path(to));
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') return;
      throw error;
    }
    await syncDirectory(this.dir);
  }

  async read(name: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await (await fs()).readFile(this.path(name)));
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') return undefined;
      throw error;
    }
  }
}

/**
 * A line sink appending to a file (for {@link jsonLines}). Lines are buffered and flushed every
 * `flushEvery` lines and on `close()`; a killed run loses at most the unflushed tail.
 *
 * @example
 * ```ts
 * const sink = await fileLines('runs/a/metrics.jsonl');
 * const trainer = new Trainer({ ..., callbacks: [jsonLines(sink)] });
 * ```
 */
export async function fileLines(path: string, flushEvery = 20): Promise<{ write(line: string): Promise<void>; close(): Promise<void> }> {
  const { mkdir, writeFile } = await fs();
  await mkdir(dirname(path), { recursive: true });
  let pending: string[] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    await writeFile(path, text, { flag: 'a' });
  };
  return {
    async write(line: string) {
      pending.push(line.endsWith('\n') ? line : `${line}\n`);
      if (pending.length >= flushEvery) await flush();
    },
    close: flush,
  };
}
