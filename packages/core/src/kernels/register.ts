/**
 * The one registration entry for the project's per-backend kernels (as tfjs'
 * `register_all_kernels.ts`). Each kernel has a portable composite of plain tfjs ops that every
 * other backend falls back to, and that tests compare the kernel against.
 */
import * as tf from '@tensorflow/tfjs-core';
import { timeStepCpu } from './time-step/cpu.js';
import { timeStepWasm } from './time-step/wasm.js';

const KERNELS: tf.KernelConfig[] = [timeStepCpu, timeStepWasm];

for (const config of KERNELS) {
  if (tf.getKernel(config.kernelName, config.backendName) === undefined) tf.registerKernel(config);
}
