/**
 * tfjs-core alone registers no gradients; `@tensorflow/tfjs` gets them from tfjs-layers' entry
 * (which imports `@tensorflow/tfjs-core/dist/register_all_gradients`, bundled into its Node build).
 * Importing tfjs-layers here does the same for us, in Node and in browser bundles alike, so
 * autodiff through plain tfjs ops works wherever `@recurrent/core` is loaded.
 */
import '@tensorflow/tfjs-layers';
