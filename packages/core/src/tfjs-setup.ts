/**
 * tfjs-core alone registers neither gradients nor the chained tensor methods (`t.flatten()`)
 * that tfjs-layers relies on; `@tensorflow/tfjs` does both (its Node build bundles them, its
 * browser build imports them). Loading it here makes autodiff through plain tfjs ops and
 * `tf.layers` work wherever `@recurrent/core` is loaded — it is what users import anyway.
 */
import '@tensorflow/tfjs';
