/** Shared types of the backend door. */

/** The backends this project can run on. `tensorflow` is tfjs-node / tfjs-node-gpu (libtensorflow, CUDA). */
export type BackendName = 'cpu' | 'wasm' | 'webgl' | 'webgpu' | 'tensorflow';

/** What a probe found out about one backend in this process. */
export interface BackendReport {
  name: BackendName;
  /** Whether the backend initialised and can run ops here. */
  available: boolean;
  /** Why not, when it is not available; says what to do about it where something can be done. */
  reason?: string;
  environment: 'node' | 'browser';
  /** Adapter, renderer or library description, when the backend tells. */
  device?: string;
  /**
   * The GPU is emulated on the CPU (Mesa llvmpipe/lavapipe, SwiftShader): it runs, but wasm is
   * usually faster, so {@link bestBackend} ranks it last.
   */
  software?: boolean;
  /** Bits of float precision the backend computes in (16 on GPUs that cannot render float32). */
  floatPrecision?: 16 | 32;
  /**
   * wasm only: SIMD, the XNNPACK threads running and those asked for (`useBackend`'s `threads`),
   * why fewer run when they do (a browser page that is not cross-origin isolated), and whether the
   * project's fixed kernels or tfjs' stock ones are registered.
   */
  wasm?: { simd: boolean; threads: number; threadsRequested: number; threadsNote?: string; kernels: 'stock' | 'fixed' };
  /** webgl only: WebGL version (1 or 2). */
  webglVersion?: number;
}

/** What ops and layers may ask about the active backend, instead of testing its name. */
export interface BackendCapabilities {
  name: BackendName;
  /** Runs kernels on a GPU device (webgl, webgpu): launches are expensive, arithmetic is cheap. */
  gpu: boolean;
  /**
   * `matMul(a, b, transposeA, transposeB)` with a transpose flag is much slower than on
   * pre-transposed operands (the stock wasm backend runs those in a scalar loop). Ops then
   * transpose a weight once per call instead of once per step.
   */
  slowTransposedMatMul: boolean;
  /**
   * matMul repacks its second operand into the GEMM's layout on one thread, unless it has seen that
   * tensor before (wasm: XNNPACK keeps packed weights per tensor; ~2.5 ns per element). A weight
   * gradient aᵀ·g then puts the activations a in that slot, not the larger gate gradients g:
   * (gᵀ·a)ᵀ, with gᵀ from a fast transpose. True on wasm with the fixed kernels and the SIMD module.
   */
  packsMatMulOperandB: boolean;
  /**
   * `slice`, `split` and `unstack` copy the whole input tensor rather than the part taken (the
   * stock wasm backend reads the full buffer for each slice): per-step access then uses `gather`.
   */
  copyingSlices: boolean;
  /**
   * `tanh` is far slower than `sigmoid` (wasm: about 15× per element); ops then compute
   * tanh(x) = 2σ(2x) − 1.
   */
  slowTanh: boolean;
  /** Tensor values can be read synchronously without a device round trip (host memory backends). */
  hostMemory: boolean;
  /** Machine epsilon-like smallest safe constant for optimisers (webgl reports 1e-4). */
  epsilon: number;
}
