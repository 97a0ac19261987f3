/** The training harness: gradient transforms (and, as issue 5 lands, the Trainer). */
export { clipByGlobalNorm, clipByValue, globalNorm } from './clip.js';
export type { ClipResult, GradientMap } from './clip.js';
