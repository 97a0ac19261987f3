/**
 * The one registration entry for the project's per-backend kernels (as tfjs'
 * `register_all_kernels.ts`). Each kernel has a portable composite of plain tfjs ops that every
 * other backend falls back to, and that tests compare the kernel against.
 */
import * as tf from '@tensorflow/tfjs-core';
import { timeStepCpu } from './time-step/cpu.js';
import { timeStepWasm } from './time-step/wasm.js';
import { gatherStepsWasm } from './gather-steps/wasm.js';
import { gatherStepsWebGL } from './gather-steps/webgl.js';
import { gruCellGradWasm, gruCellWasm, gruRbCellGradWasm, gruRbCellWasm } from './gru-cell/wasm.js';
import { gruCellGradWebGL, gruCellWebGL } from './gru-cell/webgl.js';
import { gruRbCellGradWebGL, gruRbCellWebGL } from './gru-cell/webgl-rb.js';
import { gruCellGradWebGPU, gruCellWebGPU, gruRbCellGradWebGPU, gruRbCellWebGPU } from './gru-cell/webgpu.js';
import { gruRbSeqGradWebGPU, gruRbSeqWebGPU, gruSeqGradWebGPU, gruSeqWebGPU } from './gru-cell/webgpu-seq.js';
import { lstmCellGradWasm, lstmCellWasm } from './lstm-cell/wasm.js';
import { lstmCellGradWebGL, lstmCellWebGL } from './lstm-cell/webgl.js';
import { lstmCellGradWebGPU, lstmCellWebGPU } from './lstm-cell/webgpu.js';
import { lstmSeqGradWebGPU, lstmSeqWebGPU } from './lstm-cell/webgpu-seq.js';
import { rnnCellGradWasm, rnnCellWasm } from './rnn-cell/wasm.js';
import { rnnCellGradWebGL, rnnCellWebGL } from './rnn-cell/webgl.js';
import { rnnCellGradWebGPU, rnnCellWebGPU } from './rnn-cell/webgpu.js';
import { rnnSeqGradWebGPU, rnnSeqWebGPU } from './rnn-cell/webgpu-seq.js';

const KERNELS: tf.KernelConfig[] = [timeStepCpu, timeStepWasm, gatherStepsWasm, gatherStepsWebGL, lstmCellWasm, lstmCellGradWasm, lstmCellWebGL, lstmCellGradWebGL, lstmCellWebGPU, lstmCellGradWebGPU, lstmSeqWebGPU, lstmSeqGradWebGPU, rnnCellWasm, rnnCellGradWasm, rnnCellWebGL, rnnCellGradWebGL, rnnCellWebGPU, rnnCellGradWebGPU, rnnSeqWebGPU, rnnSeqGradWebGPU, gruCellWebGL, gruCellGradWebGL, gruCellWebGPU, gruCellGradWebGPU, gruSeqWebGPU, gruSeqGradWebGPU, gruCellWasm, gruCellGradWasm, gruRbCellWasm, gruRbCellGradWasm, gruRbCellWebGPU, gruRbCellGradWebGPU, gruRbSeqWebGPU, gruRbSeqGradWebGPU, gruRbCellWebGL, gruRbCellGradWebGL];

for (const config of KERNELS) {
  if (tf.getKernel(config.kernelName, config.backendName) === undefined) tf.registerKernel(config);
}
