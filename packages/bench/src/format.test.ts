/**
 * The renderers on a hand-made report: an unavailable backend spans the row with its reason, a
 * failed memory point becomes "failed" plus a note saying why, numbers keep their units.
 */
import { describe, expect, it } from 'vitest';
import { alignTable, fmtNumber, formatMarkdown, formatTerminal, memoryTable } from './format.js';
import type { ImplResult, Report } from './types.js';

const impl = (medianMs: number): ImplResult => ({
  name: 'x', samplesMs: [medianMs], medianMs, minMs: medianMs - 1, maxMs: medianMs + 1, tokensPerSecond: 1234.5,
  gflops: 2.5, fractionOfMatMul: 0.25, kernelsPerTimeStep: 19.25, peakBytes: 3 * 2 ** 20,
});

const report: Report = {
  date: '2026-11-22T04:00:00.000Z',
  machine: '2 × Test CPU',
  load: '1.00 → 2.00',
  command: 'recurrent-bench --backend wasm,tensorflow',
  effort: { reps: 3, warmup: 1, matMulBatchMs: 20, matMulReps: 3 },
  rows: [
    {
      environment: 'node', backend: 'wasm', device: 'WebAssembly',
      case: { cell: 'lstm', mode: 'training', shape: { batch: 32, time: 64, inputs: 64, hidden: 256, classes: 64 } },
      flops: 1, matMul: { recurrentGflops: 10, inputGflops: 10, limitGflops: 10 },
      ours: impl(100), layers: impl(800), speedup: 8,
    },
    { environment: 'node', backend: 'tensorflow', error: '@tensorflow/tfjs-node is not installed' },
  ],
  memory: [{
    environment: 'node', backend: 'wasm', cell: 'lstm', shape: { batch: 32, inputs: 64, hidden: 256, classes: 64 },
    points: [
      { time: 64, oursBytes: 64 * 2 ** 20, layersBytes: 128 * 2 ** 20 },
      { time: 1024, oursBytes: 32 * 1024 * 256 * 100, layersError: 'Aborted()' },
      { time: 4096, oursError: 'skipped: too big' },
    ],
  }],
};

describe('formatting', () => {
  it('numbers: integers from 100, one decimal from 10, two below, two significant digits under 1', () => {
    const got = [1234.5, 12.34, 1.234, 0.5, 0.08, 0.001234, 0, Number.NaN].map(fmtNumber);
    expect(got).toEqual(['1,235', '12.3', '1.23', '0.50', '0.080', '0.0012', '0.00', '—']);
  });

  it('the markdown row carries median (min–max), speedup, % of matMul, kernels and MiB', () => {
    const md = formatMarkdown(report);
    expect(md).toContain('| node:wasm | lstm | training | 32×64×64×256 | 100 (99.0–101) | 800 (799–801) | 8.00× | 1,235 | 2.50 (25% of 10.0) | 19.3 / 19.3 | 3.00 / 3.00 |');
    expect(md).toContain('| node:tensorflow | — | — | — | unavailable: @tensorflow/tfjs-node is not installed |  |  |  |  |  |  |');
    expect(md).toContain('(load average 1.00 → 2.00)');
    expect(md).toContain('- node:wasm = WebAssembly');
  });

  it('a failed memory point says failed, and why in a note', () => {
    const m = memoryTable(report.memory);
    expect(m.header).toEqual(['backend', 'cell', 'model', 'B×I×H', 'MiB at T=64', 'MiB at T=1024', 'MiB at T=4096', 'bytes/(B·T·H) at T=4096']);
    expect(m.rows).toEqual([
      ['node:wasm', 'lstm', 'ours', '32×64×256', '64.0', '800', 'skipped', '—'], // 32·1024·256·100 B = 800 MiB
      ['node:wasm', 'lstm', 'tf.layers', '32×64×256', '128', 'failed', '—', '—'],
    ]);
    expect(m.notes).toEqual(['node:wasm lstm ours at T=4096 skipped: too big', 'node:wasm lstm tf.layers at T=1024 failed: Aborted()']);
    expect(formatMarkdown(report)).toContain('- node:wasm lstm tf.layers at T=1024 failed: Aborted()');
  });

  it('the terminal table aligns columns; an unavailable row spans with its reason', () => {
    const text = formatTerminal(report);
    const lines = text.split('\n');
    const header = lines.find((l) => l.startsWith('backend'))!;
    const wasm = lines.find((l) => l.startsWith('node:wasm '))!;
    expect(wasm.indexOf('8.00×')).toBe(header.indexOf('speedup'));
    expect(lines.find((l) => l.startsWith('node:tensorflow'))).toMatch(/^node:tensorflow\s+—\s+—\s+—\s+unavailable: @tensorflow\/tfjs-node is not installed$/);
  });

  it('alignTable pads every column but the last to its widest cell', () => {
    expect(alignTable(['a', 'bb'], [['ccc', 'd']])).toBe('a    bb\n───  ──\nccc  d'); // no trailing blanks
  });
});
