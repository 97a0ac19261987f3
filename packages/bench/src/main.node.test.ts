/**
 * The CLI's real path on a tiny configuration: `main()` measures on cpu and wasm in this process
 * (one repetition, no warm-up), and the terminal table, the JSON and the markdown it writes are
 * checked for what a reader and a machine rely on. Speed is measured, never asserted.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from './main.js';
import { summarize } from './measure.js';
import type { ImplResult, Report } from './types.js';

const TINY = ['--cell', 'lstm', '--batch', '2', '--time', '3', '--inputs', '2', '--hidden', '4', '--classes', '3', '--reps', '1', '--warmup', '0'];

function expectMeasured(r: ImplResult | undefined): void {
  expect(r).toBeDefined();
  for (const v of [r!.medianMs, r!.minMs, r!.maxMs, r!.tokensPerSecond, r!.gflops, r!.fractionOfMatMul, r!.kernelsPerTimeStep]) {
    expect(Number.isFinite(v) && v > 0).toBe(true);
  }
  expect(r!.peakBytes).toBeGreaterThanOrEqual(0);
  expect(r!.samplesMs).toHaveLength(1);
}

describe('recurrent-bench on cpu and wasm, tiny shapes', () => {
  let dir: string;
  let report: Report;
  let out = '';
  const progress: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'recurrent-bench-test-'));
    const argv = ['--backend', 'cpu,wasm,tensorflow', '--mode', 'training,inference,generation', ...TINY,
      '--memory', '--memory-times', '2,4', '--json', join(dir, 'r.json'), '--markdown', join(dir, 'r.md')];
    report = (await main(argv, { out: (t) => (out += t), progress: (l) => progress.push(l) }))!;
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('measures ours and tf.layers in every mode on both backends', () => {
    for (const backend of ['cpu', 'wasm']) {
      const rows = report.rows.filter((r) => r.environment === 'node' && r.backend === backend);
      expect(rows.map((r) => r.case?.mode)).toEqual(['training', 'inference', 'generation']);
      for (const row of rows) {
        expect(row.error).toBeUndefined();
        expectMeasured(row.ours);
        expectMeasured(row.layers);
        expect(row.ours!.name).toBe('ops.lstm');
        expect(row.layers!.name).toBe('tf.layers.lstm');
        expect(row.speedup).toBeCloseTo(row.layers!.medianMs / row.ours!.medianMs, 10);
        expect(row.matMul!.recurrentGflops).toBeGreaterThan(0);
        expect(row.matMul!.inputGflops).toBeGreaterThan(0);
      }
    }
  });

  it('reports tensorflow with the reason when tfjs-node is absent (or measures it when present)', () => {
    const rows = report.rows.filter((r) => r.backend === 'tensorflow');
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      if (row.error !== undefined) expect(row.error).toMatch(/tfjs-node/);
      else expectMeasured(row.ours);
    }
  });

  it('scans training memory against T: ours grows with the sequence', () => {
    expect(report.memory.map((m) => m.backend)).toEqual(['cpu', 'wasm']);
    for (const m of report.memory) {
      expect(m.points.map((p) => p.time)).toEqual([2, 4]);
      const [t2, t4] = m.points;
      expect(t2!.oursBytes).toBeGreaterThan(0);
      expect(t2!.layersBytes).toBeGreaterThan(0);
      // BPTT keeps per-step activations: more steps, more bytes.
      expect(t4!.oursBytes!).toBeGreaterThan(t2!.oursBytes!);
    }
  });

  it('prints an aligned table to stdout and progress lines separately', () => {
    const lines = out.split('\n');
    const header = lines.find((l) => l.startsWith('backend'))!;
    expect(header).toMatch(/ms ours\s+ms tf\.layers\s+speedup/);
    const cpuTraining = lines.find((l) => /^node:cpu\s+lstm\s+training\s+2×3×2×4/.test(l));
    expect(cpuTraining).toBeDefined();
    // Columns line up: the mode column starts at the same offset in the header and the row.
    expect(cpuTraining!.indexOf('training')).toBe(header.indexOf('mode'));
    expect(out).toMatch(/node:tensorflow .*(unavailable: .*tfjs-node|\d)/);
    expect(out).toContain('MiB at T=4');
    expect(progress.some((l) => /rep 1\/1 ops\.lstm/.test(l))).toBe(true);
    expect(out).not.toMatch(/rep 1\/1/);
  });

  it('writes the same report as JSON', async () => {
    const json = JSON.parse(await readFile(join(dir, 'r.json'), 'utf8')) as Report;
    expect(json).toEqual(JSON.parse(JSON.stringify(report)));
    expect(json.effort).toEqual({ reps: 1, warmup: 0, matMulBatchMs: 50, matMulReps: 5 });
  });

  it('writes a markdown table with date, machine and the command line', async () => {
    const md = await readFile(join(dir, 'r.md'), 'utf8');
    expect(md).toMatch(new RegExp(`^Measured ${report.date.slice(0, 10)} on \\d+ × `));
    expect(md).toContain('recurrent-bench --backend cpu,wasm,tensorflow --mode training,inference,generation --cell lstm');
    expect(md).not.toContain('r.json'); // where the output went is not part of what was measured
    expect(md).toContain('| backend | cell | mode | B×T×I×H | ms ours | ms tf.layers | speedup |');
    expect(md).toMatch(/\| node:wasm \| lstm \| generation \| 2×3×2×4 \| [\d.]+ \([\d.]+–[\d.]+\) \|/);
    const [main] = md.split('Training-step working memory');
    const tableLines = main!.split('\n').filter((l) => l.startsWith('| node:'));
    expect(tableLines).toHaveLength(report.rows.length); // 3 modes × cpu, wasm; tensorflow's reason or rows
    const columns = main!.split('\n').find((l) => l.startsWith('| backend'))!.split(' | ').length;
    for (const l of tableLines) expect(l.split(' | ').length).toBe(columns);
    expect(md).toContain('| MiB at T=2 | MiB at T=4 |');
  });
});

describe('memory hygiene', () => {
  it('leaves no tensor behind: every mode, lstm and gru, ours and tf.layers, and the memory scan', async () => {
    const io = { out: () => undefined, progress: () => undefined };
    const argv = ['--backend', 'cpu', '--cell', 'lstm,gru', '--mode', 'training,inference,generation', ...TINY.slice(2), '--memory-times', '2'];
    await main(argv, io); // first run: backend set-up, kernels and caches that live for the process
    const before = tf.memory().numTensors;
    await main(argv, io);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('the command line', () => {
  it('--help prints the usage and measures nothing', async () => {
    let out = '';
    expect(await main(['--help'], { out: (t) => (out += t), progress: () => undefined })).toBeUndefined();
    expect(out).toMatch(/^recurrent-bench: /);
    expect(out).toContain('--quick');
    expect(out).toContain('--markdown FILE');
  });

  it('rejects bad values naming the option, what was expected and what was found', async () => {
    const io = { out: () => undefined, progress: () => undefined };
    await expect(main(['--backend', 'metal'], io)).rejects.toThrow(/--backend: unknown "metal"; expected one of cpu, wasm, webgl, webgpu, tensorflow, best, gpu/);
    await expect(main(['--hidden', '0'], io)).rejects.toThrow(/--hidden must be a positive integer, got "0"/);
    await expect(main(['--bogus'], io)).rejects.toThrow(/^recurrent-bench: Unknown option '--bogus'.* \(see --help\)$/);
    await expect(main(['--backend', 'chromium:tensorflow'], io)).rejects.toThrow(/tensorflow \(tfjs-node\) runs only in Node/);
  });

  it('summarize takes the middle of an odd sample and the mean of the two middles of an even one', () => {
    expect(summarize([5, 1, 3])).toEqual({ median: 3, min: 1, max: 5 });
    expect(summarize([4, 1, 2, 10])).toEqual({ median: 3, min: 1, max: 10 });
  });
});
