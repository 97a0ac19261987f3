/**
 * binary.ts is generated from scripts/simd/*.mjs and committed: this fails when the two no longer
 * match (fix: `node packages/core/scripts/simd/build.mjs`). It also checks what the module may
 * touch: nothing but the heap it imports — no memory, data or globals of its own.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error — a build script in plain JavaScript, without type declarations
import { generate, OUTPUT, wat } from '../../../../scripts/simd/build.mjs';
import { PLAIN, SHARED } from './binary.js';

describe('the SIMD module of the wasm cell kernels', () => {
  it('is what scripts/simd/build.mjs generates from its sources', async () => {
    expect(readFileSync(OUTPUT as string, 'utf8')).toBe(await (generate as () => Promise<string>)());
  });

  it('has no memory, data, globals or tables of its own', () => {
    for (const shared of [false, true]) {
      const text = (wat as (shared: boolean) => string)(shared);
      expect(text.match(/\((memory|data|global|table|start)[\s)]/g)).toEqual(['(memory ']); // the imported heap
    }
  });

  it('imports only the heap and exports only functions', () => {
    for (const [b64, shared] of [[PLAIN, false], [SHARED, true]] as const) {
      const module = new WebAssembly.Module(Buffer.from(b64, 'base64'));
      expect(WebAssembly.Module.imports(module)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
      const exports = WebAssembly.Module.exports(module);
      expect(exports.length).toBeGreaterThan(0);
      expect(exports.every((e) => e.kind === 'function')).toBe(true);
      const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, ...(shared ? { shared: true } : {}) });
      expect(() => new WebAssembly.Instance(module, { env: { memory } })).not.toThrow();
    }
  });
});
