/**
 * How each backend package is brought in. Imports are lazy: a program that only uses wasm never
 * loads the WebGPU backend, and nothing Node-only reaches a browser bundle.
 */
import * as tf from '@tensorflow/tfjs-core';
import { importOptional, isNode } from './environment.js';
import { wasmKernels } from '../kernels/wasm-overrides/index.js';
import { describeAdapter, installNodeGpu, nodeAdapterDescription, releaseNodeGpu } from './node-webgpu.js';
import type { BackendName, BackendReport } from './types.js';
import { configureWasm, resolveWasmOptions, wasmThreadsNote, type WasmOptions } from './wasm.js';

type Details = Pick<BackendReport, 'device' | 'floatPrecision' | 'wasm' | 'webglVersion' | 'software'>;
type Loaded = { ok: true; describe: () => Promise<Details> } | { ok: false; reason: string };
export type BackendLoader = (options: { wasmPaths?: string | Record<string, string> } & WasmOptions) => Promise<Loaded>;

/** Renderers that emulate a GPU on the CPU. */
export function isSoftwareRenderer(description: string): boolean {
  return /llvmpipe|lavapipe|softpipe|swiftshader|software/i.test(description);
}

function precision(): 16 | 32 {
  return tf.backend().floatPrecision() === 16 ? 16 : 32;
}

/**
 * WebGL's precision. `MathBackendWebGL.floatPrecision()` answers 16 whenever float32 rendering is
 * *enabled* (tensorflow/tfjs#6980: it only runs its underflow check on the half-float path), so
 * read the flag that decides the texture format instead and keep tfjs' check for that path.
 */
function webglPrecision(): 16 | 32 {
  return tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED') ? 32 : precision();
}

const cpu: BackendLoader = async () => {
  await import('@tensorflow/tfjs-backend-cpu');
  return { ok: true, describe: async () => ({ device: 'JavaScript, main thread', floatPrecision: 32 }) };
};

const wasm: BackendLoader = async ({ wasmPaths, threads, stockKernels }) => {
  const pkg = await import('@tensorflow/tfjs-backend-wasm');
  if (wasmPaths !== undefined) pkg.setWasmPaths(wasmPaths as string);
  const resolved = await resolveWasmOptions({ ...(threads !== undefined ? { threads } : {}), ...(stockKernels !== undefined ? { stockKernels } : {}) });
  const requested = resolved.threads;
  await configureWasm(pkg, requested, resolved.stockKernels);
  return {
    ok: true,
    describe: async () => {
      const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
      const running = pkg.getThreadsCount();
      const kernels = wasmKernels();
      const note = running < requested ? wasmThreadsNote() : undefined;
      return {
        device: `WebAssembly (XNNPACK, ${simd ? 'SIMD' : 'no SIMD'}, ${running} thread${running === 1 ? '' : 's'}, ${kernels} kernels)`,
        floatPrecision: 32,
        wasm: { simd, threads: running, threadsRequested: requested, kernels, ...(note !== undefined ? { threadsNote: note } : {}) },
      };
    },
  };
};

const webgl: BackendLoader = async () => {
  if (isNode()) {
    return { ok: false, reason: 'WebGL needs a browser page (Node has no WebGL2 context); use webgpu or wasm in Node' };
  }
  await import('@tensorflow/tfjs-backend-webgl');
  return {
    ok: true,
    describe: async () => {
      const version = tf.env().getNumber('WEBGL_VERSION');
      const gl = (tf.backend() as unknown as { gpgpu?: { gl?: WebGLRenderingContext } }).gpgpu?.gl;
      let device: string | undefined;
      if (gl !== undefined) {
        const ext = gl.getExtension('WEBGL_debug_renderer_info');
        device = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
      }
      return { device: `WebGL${version}${device ? `: ${device}` : ''}`, floatPrecision: webglPrecision(), webglVersion: version, software: isSoftwareRenderer(device ?? '') };
    },
  };
};

const webgpu: BackendLoader = async () => {
  let adapter = '';
  if (isNode()) {
    const reason = await installNodeGpu();
    if (reason !== undefined) return { ok: false, reason };
    adapter = nodeAdapterDescription();
  } else {
    const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<Parameters<typeof describeAdapter>[0] | null> } } }).navigator?.gpu;
    if (gpu === undefined) return { ok: false, reason: 'this browser has no WebGPU (navigator.gpu is missing)' };
    const found = await gpu.requestAdapter();
    if (found === null) return { ok: false, reason: 'the browser offers no WebGPU adapter' };
    adapter = describeAdapter(found);
  }
  await import('@tensorflow/tfjs-backend-webgpu');
  if (tf.findBackendFactory('webgpu') === null) {
    releaseNodeGpu();
    return { ok: false, reason: 'tfjs-backend-webgpu did not register (navigator.gpu was missing when it loaded)' };
  }
  return {
    ok: true,
    describe: async () => {
      // The backend now holds its device; the global has done its job.
      if (isNode()) releaseNodeGpu();
      const device = `WebGPU${isNode() ? ' (Dawn in Node)' : ''}${adapter ? `: ${adapter}` : ''}`;
      return { device, floatPrecision: 32, software: isSoftwareRenderer(device) };
    },
  };
};

const NODE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

const tensorflow: BackendLoader = async () => {
  if (!isNode()) return { ok: false, reason: 'the tensorflow backend (tfjs-node) runs only in Node' };
  const failures: string[] = [];
  for (const pkg of NODE_PACKAGES) {
    try {
      await importOptional(pkg);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      failures.push(/Cannot find (module|package)|ERR_MODULE_NOT_FOUND/.test(message) ? `${pkg} is not installed` : `${pkg} failed to load: ${message}`);
      continue;
    }
    if (tf.findBackendFactory('tensorflow') === null) {
      return {
        ok: false,
        reason: `${pkg} loaded but registered with another copy of @tensorflow/tfjs-core; install it at version ${tf.version_core}`,
      };
    }
    return { ok: true, describe: async () => ({ device: `libtensorflow via ${pkg}`, floatPrecision: 32 }) };
  }
  return {
    ok: false,
    reason: `${failures.join('; ')}. Install one at version ${tf.version_core}: \`pnpm add @tensorflow/tfjs-node-gpu@${tf.version_core}\` (CUDA) or \`@tensorflow/tfjs-node@${tf.version_core}\``,
  };
};

export const loaders: Record<BackendName, BackendLoader> = { cpu, wasm, webgl, webgpu, tensorflow };
