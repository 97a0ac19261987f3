/** `RecurrentTimeStep` on the JavaScript backend: one copy of the step's rows, no unstack. */
import type * as tf from '@tensorflow/tfjs-core';
import { copyStep, stepShape, TIME_STEP, type TimeStepAttrs } from './kernel.js';

interface CpuBackendLike {
  data: { get(dataId: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

export const timeStepCpu: tf.KernelConfig = {
  kernelName: TIME_STEP,
  backendName: 'cpu',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const x = inputs.x as tf.TensorInfo;
    const addend = inputs.addend as tf.TensorInfo | undefined;
    const a = attrs as unknown as TimeStepAttrs;
    const cpu = backend as unknown as CpuBackendLike;
    const [, B] = stepShape(x.shape);
    const outs = a.sizes.map((size) => new Float32Array(B * size));
    const add = addend === undefined ? undefined : cpu.data.get(addend.dataId).values;
    copyStep(cpu.data.get(x.dataId).values, x.shape, a, outs, add);
    return outs.map((values, p) => cpu.makeTensorInfo([B, a.sizes[p]!], 'float32', values));
  },
};
