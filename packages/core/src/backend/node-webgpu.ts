/**
 * WebGPU in Node through Dawn (npm `webgpu`), on whatever Vulkan/GL driver the machine has —
 * on a machine without a GPU that is Mesa's llvmpipe through EGL (Dawn's `opengles` backend;
 * Debian `libegl1 libegl-mesa0 libgl1-mesa-dri`, plus `libegl-dev` because Dawn dlopens the
 * unversioned `libEGL.so`). Mesa 22's lavapipe is refused by Dawn's Vulkan backend, hence the
 * GL default; `RECURRENT_DAWN_BACKEND=vulkan` picks Vulkan on machines whose driver has it.
 *
 * tfjs-backend-webgpu registers itself only if `navigator.gpu` exists when it is imported, so
 * this sets `navigator.gpu` first; once the backend holds its device the global is removed again
 * ({@link releaseNodeGpu}), since a live `navigator.gpu` can keep Node from exiting.
 */
import { importOptional } from './environment.js';

interface DawnModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}
interface GpuLike {
  requestAdapter(options?: Record<string, unknown>): Promise<AdapterLike | null>;
}
interface AdapterLike {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string };
}

let installed: Promise<string | undefined> | undefined;
let createdNavigator = false;
let adapterDescription = '';
/**
 * The Dawn instance, held for the life of the process: if it is garbage-collected while tfjs still
 * uses a device from it, Dawn aborts the process (`std::system_error: Invalid argument`).
 */
let dawnInstance: GpuLike | undefined;

/**
 * Puts a Dawn-backed `navigator.gpu` in place. Resolves to `undefined` on success, or to the reason
 * WebGPU cannot run in this Node process.
 */
export function installNodeGpu(): Promise<string | undefined> {
  installed ??= install();
  return installed;
}

async function install(): Promise<string | undefined> {
  const proc = (globalThis as unknown as { process: { env: Record<string, string | undefined> } }).process;
  // Dawn's GL backend needs an EGL display; without a window system that is the surfaceless one.
  proc.env.EGL_PLATFORM ??= 'surfaceless';
  let dawn: DawnModule;
  try {
    dawn = await importOptional<DawnModule>('webgpu');
  } catch (error) {
    return `the "webgpu" package (Dawn for Node) failed to load: ${String(error instanceof Error ? error.message : error)}`;
  }
  for (const [key, value] of Object.entries(dawn.globals)) {
    if (!(key in globalThis)) Object.defineProperty(globalThis, key, { value, configurable: true, writable: true });
  }
  const backendFlag = proc.env.RECURRENT_DAWN_BACKEND ?? 'opengles';
  const gpu = dawn.create([`backend=${backendFlag}`]);
  dawnInstance = gpu;
  const request = gpu.requestAdapter.bind(gpu);
  // Mesa's software drivers only offer a compatibility-level adapter.
  gpu.requestAdapter = (options = {}) => request({ featureLevel: 'compatibility', ...options });
  const adapter = await request({ featureLevel: 'compatibility' }).catch(() => null);
  if (adapter === null) {
    const packages = backendFlag === 'vulkan' ? 'libvulkan1 mesa-vulkan-drivers' : 'libegl1 libegl-mesa0 libegl-dev libgl1-mesa-dri';
    return (
      `Dawn found no GPU adapter for backend=${backendFlag} (on a machine without a GPU install Mesa: ` +
      `\`apt-get install ${packages}\`, or run \`node scripts/ensure-system.mjs\` as root)`
    );
  }
  const holder = globalThis as { navigator?: object };
  if (holder.navigator === undefined) {
    // Node 20 has no navigator; the one we make goes again in releaseNodeGpu.
    Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
    createdNavigator = true;
  }
  adapterDescription = describeAdapter(adapter);
  const nav = holder.navigator as Record<string, unknown>;
  Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true, writable: true });
  return undefined;
}

/** What the adapter says of itself: vendor, architecture, device, description (whichever it fills in). */
export function describeAdapter(adapter: AdapterLike): string {
  const info = adapter.info ?? {};
  return [info.vendor, info.architecture, info.device, info.description].filter((p) => p).join(' ');
}

/** The Dawn adapter's description, once {@link installNodeGpu} has run. */
export function nodeAdapterDescription(): string {
  return adapterDescription;
}

/** Removes the `navigator.gpu` that {@link installNodeGpu} set (tfjs keeps its own device). */
export function releaseNodeGpu(): void {
  const nav = (globalThis as unknown as { navigator?: Record<string, unknown> }).navigator;
  if (nav !== undefined && Object.getOwnPropertyDescriptor(nav, 'gpu')?.configurable) delete nav.gpu;
  if (createdNavigator) {
    delete (globalThis as { navigator?: unknown }).navigator;
    createdNavigator = false;
  }
}
