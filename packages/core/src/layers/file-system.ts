/**
 * Models on disk in Node without tfjs-node: an IOHandler writing tfjs-node's `file://` layout
 * (`model.json` with a weights manifest, plus `weights.bin`), so `model.save` and
 * `tf.loadLayersModel` work with our layers — and with vanilla ones — on a machine where
 * `@tensorflow/tfjs-node` cannot be installed. Files are written atomically (temp + rename).
 *
 * @example
 * ```ts
 * import { fileSystem, registerFileRouter } from '@recurrent/core';
 * await model.save(fileSystem('runs/my-model'));            // a directory
 * const again = await tf.loadLayersModel(fileSystem('runs/my-model'));
 * registerFileRouter();                                      // or: 'file://' URLs, as with tfjs-node
 * await model.save('file://runs/my-model');
 * ```
 */
import * as tf from '@tensorflow/tfjs';
import { importOptional, isNode } from '../backend/environment.js';
import { atomicWriteFile } from '../train/checkpoint-fs.js';

interface Fs {
  mkdir(path: string, options: { recursive: true }): Promise<unknown>;
  readFile(path: string): Promise<Uint8Array>;
}

function fs(): Promise<Fs> {
  if (!isNode()) return Promise.reject(new Error('fileSystem: files need Node.js; in a browser save to indexeddb:// or downloads://'));
  return importOptional<Fs>('node:fs/promises');
}

const join = (dir: string, name: string) => (dir.endsWith('/') ? dir + name : `${dir}/${name}`);

/** The directory a path names: `dir` or `dir/model.json` both mean `dir`. */
function directoryOf(path: string): string {
  return path.endsWith('/model.json') ? path.slice(0, -'/model.json'.length) : path.replace(/\/$/, '');
}

/** An IOHandler for a model directory (`model.json` + `weights.bin`). */
export function fileSystem(path: string): tf.io.IOHandler {
  if (typeof path !== 'string' || path.length === 0) throw new Error(`fileSystem: expected a directory path, got ${JSON.stringify(path)}`);
  const dir = directoryOf(path.replace(/^file:\/\//, ''));
  return {
    async save(artifacts) {
      const io = await fs();
      await io.mkdir(dir, { recursive: true });
      const weights = artifacts.weightData === undefined ? new ArrayBuffer(0)
        : Array.isArray(artifacts.weightData) ? tf.io.concatenateArrayBuffers(artifacts.weightData) : artifacts.weightData;
      await atomicWriteFile(join(dir, 'weights.bin'), new Uint8Array(weights));
      const json = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        userDefinedMetadata: artifacts.userDefinedMetadata,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      await atomicWriteFile(join(dir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    async load() {
      const io = await fs();
      const file = join(dir, 'model.json');
      let json: { modelTopology?: object; weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[]; format?: string; generatedBy?: string; convertedBy?: string | null; userDefinedMetadata?: { [key: string]: {} } };
      try {
        json = JSON.parse(new TextDecoder().decode(await io.readFile(file))) as typeof json;
      } catch (error) {
        throw new Error(`fileSystem: could not read ${file} (${error instanceof Error ? error.message : String(error)}); expected a directory written by model.save`);
      }
      if (json.modelTopology === undefined || !Array.isArray(json.weightsManifest)) {
        throw new Error(`fileSystem: ${file} has no modelTopology or weightsManifest; it is not a tfjs layers model`);
      }
      const specs: tf.io.WeightsManifestEntry[] = [];
      const parts: ArrayBuffer[] = [];
      for (const group of json.weightsManifest) {
        specs.push(...group.weights);
        for (const p of group.paths) {
          const bytes = await io.readFile(join(dir, p));
          parts.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
        }
      }
      return {
        modelTopology: json.modelTopology,
        weightSpecs: specs,
        weightData: tf.io.concatenateArrayBuffers(parts),
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        userDefinedMetadata: json.userDefinedMetadata,
      };
    },
  };
}

let registered = false;

/**
 * Lets `model.save('file://dir')` and `tf.loadLayersModel('file://dir')` use {@link fileSystem}.
 * Does nothing where a `file://` router already exists (tfjs-node registers its own), so the two
 * never compete for a URL.
 */
export function registerFileRouter(): void {
  if (registered || !isNode()) return;
  if (tf.io.getSaveHandlers('file://probe').length > 0) return;
  const route = (url: string | string[]) => (typeof url === 'string' && url.startsWith('file://') ? fileSystem(url) : null);
  // Routers decline a URL by returning null; tfjs' IORouter type leaves that out.
  tf.io.registerSaveRouter(route as Parameters<typeof tf.io.registerSaveRouter>[0]);
  tf.io.registerLoadRouter(route as Parameters<typeof tf.io.registerSaveRouter>[0]);
  registered = true;
}
