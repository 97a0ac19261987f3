/**
 * The demo page as static files: `vite build` writes packages/demo/dist/ (index.html, one script,
 * the tfjs wasm binaries and public/model/), servable by any static server on any path (`base:
 * './'`). Workspace packages come from their TypeScript sources (the `@recurrent/source` export
 * condition), as the tests run them, so the page never runs a stale dist/.
 */
import { defaultClientConditions, defineConfig } from 'vite';

export default defineConfig({
  base: './',
  resolve: { conditions: ['@recurrent/source', ...defaultClientConditions] },
  // Reached only through importOptional() in Node; never part of a browser bundle.
  optimizeDeps: { exclude: ['webgpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'] },
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    reportCompressedSize: false,
    // tfjs with four backends is one large chunk by nature.
    chunkSizeWarningLimit: 5000,
    rolldownOptions: {
      onwarn(warning, warn) {
        // @tensorflow/tfjs already imports the cpu and webgl backends statically; the core's lazy
        // import() of them is for programs that load tfjs-core alone. Nothing to act on here.
        if (warning.code === 'INEFFECTIVE_DYNAMIC_IMPORT') return;
        warn(warning);
      },
    },
  },
  // WebGPU is exposed only to secure contexts: http://127.0.0.1 is one, a LAN address is not.
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
