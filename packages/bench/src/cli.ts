#!/usr/bin/env node
/**
 * The `recurrent-bench` executable: runs {@link main} on the process's arguments. Exit code 2 for
 * a bad command line, 1 for an unexpected failure; unavailable backends are rows, not failures.
 */
import { main } from './main.js';

try {
  await main(process.argv.slice(2));
  // Dawn (webgpu in Node) and the wasm backend's worker can keep the event loop alive.
  process.exit(0);
} catch (error) {
  const text = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${text}\n`);
  process.exit(text.startsWith('recurrent-bench:') ? 2 : 1);
}
