/**
 * @recurrent/demo: the browser page (index.html + main.ts, built by Vite). The pieces below are
 * exported for tests and for anyone who wants the visualisation elsewhere.
 */
export const version = '0.1.0';
export { Tracer, topK, QUANTITIES, QUANTITY_NAMES } from './trace.js';
export type { TraceStep, LayerTrace, Quantity } from './trace.js';
export { colourOf, displayValue } from './viz.js';
