/**
 * `--wasm-threads` / `--wasm-kernels`: one Node wasm target becomes one row per configuration,
 * threads outer, each labelled with what actually ran (the count the backend reports, not the one
 * asked for). Tiny shapes, one repetition: the labels and the plumbing are checked, never speed.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from './config.js';
import { formatTerminal } from './format.js';
import { main } from './main.js';

const TINY = ['--cell', 'lstm', '--mode', 'training', '--batch', '2', '--time', '3', '--inputs', '2', '--hidden', '4', '--classes', '3', '--reps', '1', '--warmup', '0'];

describe('recurrent-bench wasm configurations', () => {
  it('expands wasm into threads × kernels, leaving other targets alone', () => {
    const parsed = parseConfig(['--backend', 'cpu,wasm', '--wasm-threads', '1,2', '--wasm-kernels', 'stock,fixed']);
    if (parsed.help) throw new Error('unexpected --help');
    expect(parsed.config.targets).toEqual([
      { environment: 'node', backend: 'cpu' },
      { environment: 'node', backend: 'wasm', wasm: { threads: 1, kernels: 'stock' } },
      { environment: 'node', backend: 'wasm', wasm: { threads: 1, kernels: 'fixed' } },
      { environment: 'node', backend: 'wasm', wasm: { threads: 2, kernels: 'stock' } },
      { environment: 'node', backend: 'wasm', wasm: { threads: 2, kernels: 'fixed' } },
    ]);
    const kernelsOnly = parseConfig(['--backend', 'wasm', '--wasm-kernels', 'stock']);
    if (kernelsOnly.help) throw new Error('unexpected --help');
    expect(kernelsOnly.config.targets).toEqual([{ environment: 'node', backend: 'wasm', wasm: { kernels: 'stock' } }]);
  });

  it('refuses bad values and the flags without a Node wasm target', () => {
    expect(() => parseConfig(['--backend', 'wasm', '--wasm-threads', '0'])).toThrow(/--wasm-threads must be a positive integer, got "0"/);
    expect(() => parseConfig(['--backend', 'wasm', '--wasm-kernels', 'fast'])).toThrow(/--wasm-kernels: unknown "fast"; expected one of stock, fixed/);
    expect(() => parseConfig(['--backend', 'cpu', '--wasm-threads', '2'])).toThrow(/need --backend wasm or chromium:wasm/);
  });

  it('measures each configuration in one process and labels its rows', async () => {
    // Two threads first: the second row must re-create wasm single-threaded (core's default is 1).
    const report = (await main(['--backend', 'wasm', '--wasm-threads', '2,1', '--wasm-kernels', 'stock', '--no-layers', ...TINY], { out: () => {}, progress: () => {} }))!;
    expect(report.rows.map((r) => r.variant)).toEqual(['2 threads, stock kernels', '1 thread, stock kernels']);
    for (const row of report.rows) {
      expect(row.error).toBeUndefined();
      expect(row.ours?.medianMs).toBeGreaterThan(0);
      expect(row.device).toMatch(new RegExp(`${row.variant!.split(',')[0]}, ${row.variant!.includes('stock') ? 'stock' : 'fixed'} kernels`));
    }
    expect(formatTerminal(report)).toContain('node:wasm (2 threads, stock kernels)');
  });
});
