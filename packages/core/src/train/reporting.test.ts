/** Progress output (terminal and plain), JSON lines and the SVG curves. */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { describeBackends } from '../testing/index.js';
import { jsonLines, MetricsHistory, smooth, trainingCurves } from './metrics.js';
import { formatDuration, formatRate, progressBar, type TextOutput } from './progress.js';
import { downsample, formatNumber, niceTicks, renderChart } from './svg.js';
import type { StepMetrics } from './trainer-types.js';
import { Trainer } from './trainer.js';
import type { TrainData, TrainModel } from './task.js';

const metrics = (step: number, over: Partial<StepMetrics> = {}): StepMetrics => ({
  step, totalSteps: 10, loss: 2 / step, gradNorm: 10 / step, clipped: step < 3, clipCount: Math.min(step, 2), learningRate: 0.01,
  skipped: false, tokens: 1000, seconds: 0.5, elapsed: step * 0.5, ...over,
});

function capture(isTTY: boolean): TextOutput & { text: string } {
  const out = { text: '', isTTY, columns: 200, write(s: string) { out.text += s; } };
  return out;
}

describe('progress', () => {
  it('formats durations and rates', () => {
    expect([7.2, 185, 3725, -1].map(formatDuration)).toEqual(['7s', '3m05s', '1h02m', '?']);
    expect([12.34, 950, 41234, 2.5e6].map(formatRate)).toEqual(['12.3', '950', '41.2k', '2.50M']);
  });

  it('draws a bar in place on a terminal, with loss, tokens/s and ETA', () => {
    const out = capture(true);
    const bar = progressBar({ output: out, redrawMs: 0 });
    bar.onStart!({ step: 0, totalSteps: 10, resumed: false, tokensPerStep: 1000 });
    bar.onStep!(metrics(4));
    // 1000 tokens / 0.5 s; 6 steps left × 0.5 s
    expect(out.text).toContain('\rstep 4/10 [########............] 40% | loss 0.5000 | ‖g‖ 2.50 | 2.0k tok/s | ETA 3s\x1b[K');
    bar.onValidation!({ step: 4, loss: 0.75, best: 0.75, improved: true, sinceImprovement: 0 });
    expect(out.text.endsWith('\r\x1b[Kstep 4: validation loss 0.7500 (best)\n')).toBe(true);
  });

  it('prints plain lines every `every` steps when not a terminal', () => {
    const out = capture(false);
    const bar = progressBar({ output: out, every: 5 });
    bar.onStart!({ step: 0, totalSteps: 10, resumed: true, tokensPerStep: 1000 });
    for (let s = 1; s <= 10; s++) bar.onStep!(metrics(s));
    bar.onEnd!({ step: 10, reason: 'completed', updates: 10, skipped: 0, clipCount: 2, bestValidationLoss: undefined, bestStep: undefined });
    const lines = out.text.trimEnd().split('\n');
    expect(lines).toEqual([
      'resuming at step 0 of 10',
      'step 5/10 (50%) | loss 0.4000 | ‖g‖ 2.00 | 2.0k tok/s | ETA 3s | 3s elapsed',
      'step 10/10 (100%) | loss 0.2000 | ‖g‖ 1.00 | 2.0k tok/s | ETA 0s | 5s elapsed',
      'stopped at step 10 (completed): 10 updates, 0 skipped, clipping fired 2 times',
    ]);
    expect(out.text).not.toContain('\r');
  });
});

describe('SVG curves', () => {
  it('picks 1-2-5 ticks and compact labels', () => {
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]); // not 0.6000000000000001
    expect(niceTicks(3, 97, 4)).toEqual([20, 40, 60, 80]);
    expect([0, 0.0123, 12345, 1e-7, 2e6].map(formatNumber)).toEqual(['0', '0.0123', '12.3k', '1e-7', '2e6']);
  });

  it('averages long series into buckets and smooths with an EMA', () => {
    expect(downsample([[0, 1], [1, 3], [2, 5], [3, 7]], 2)).toEqual([[0.5, 2], [2.5, 6]]);
    // α = 2/(1+1) = 1 follows the data; NaN points are skipped
    expect(smooth([[1, 4], [2, Number.NaN], [3, 2]], 1)).toEqual([[1, 4], [3, 2]]);
  });

  it('renders panels with titles, axis labels, a log axis, the clip line and the gradient-flow panel', () => {
    const h = new MetricsHistory();
    for (let s = 1; s <= 50; s++) h.onStep(metrics(s, { totalSteps: 50, gradientFlow: s === 40 ? { layers: [{ name: 'lstm', norms: [1e-6, 1e-3, 1] }] } : undefined }));
    h.onValidation({ step: 25, loss: 0.3, best: 0.3, improved: true, sinceImprovement: 0 });
    const svg = trainingCurves(h, { clipNorm: 1, title: 'adding <T=50>' });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    for (const text of ['adding &lt;T=50&gt;: loss', 'gradient norm before clipping', '‖g‖ (log scale)', 'clip threshold 1', 'gradient flow through time at step 40', '‖∂E/∂h_k‖', 'k (time step)', 'validation']) {
      expect(svg).toContain(text);
    }
    expect(svg).toContain('>1e-6<'); // log-axis tick labels on the gradient-flow panel
    expect((svg.match(/<path /g) ?? []).length).toBe(4); // raw + smoothed loss, ‖g‖, one flow curve
    expect(svg.length).toBeLessThan(40_000);
  });

  it('says "no data" on an empty panel rather than failing', () => {
    expect(renderChart([{ title: 't', xLabel: 'x', yLabel: 'y', series: [] }])).toContain('no data');
  });
});

describeBackends('JSON lines', () => {
  it('writes one parseable object per event, NaN as a string', async () => {
    const w = tf.tidy(() => tf.variable(tf.scalar(1)));
    const model: TrainModel<number> = { params: { w }, loss: (p) => ({ loss: tf.mul(w, p === 1 ? Number.NaN : 1) as tf.Scalar }) };
    const data: TrainData<number> = { batch: (p) => p };
    const lines: string[] = [];
    let closed = false;
    const trainer = new Trainer({ model, data, steps: 3, seed: 1, optimizer: { kind: 'sgd' }, learningRate: 0.1, callbacks: [jsonLines({ write: (l) => void lines.push(l), close: () => void (closed = true) })] });
    await trainer.run();
    const events = lines.map((l) => JSON.parse(l) as { event: string; step: number; loss?: number | string });
    expect(events.map((e) => e.event)).toEqual(['start', 'step', 'step', 'non-finite', 'step', 'end']);
    expect(events[2]!.loss).toBe('NaN');
    expect(events[1]!.loss).toBe(1);
    expect(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
    expect(closed).toBe(true);
    trainer.dispose();
    w.dispose();
  });

  it('reads back into a history: the last record per step, up to a step, NaN restored, torn lines skipped', () => {
    // A run that reached step 3, was killed after writing step 4 and half a line, resumed from
    // its checkpoint at step 2 and trained steps 3 and 4 again (new values win).
    const step = (n: number, loss: number | string) => JSON.stringify({ event: 'step', step: n, loss, gradNorm: n / 10, learningRate: 0.1 });
    const text = [
      JSON.stringify({ event: 'start', step: 0, totalSteps: 4 }),
      step(1, 2.5), step(2, 'NaN'), JSON.stringify({ event: 'validation', step: 2, loss: 2.25 }), step(3, 2.0), step(4, 1.9),
      '{"event":"step","st',
      JSON.stringify({ event: 'resume', step: 2 }), step(3, 1.75), step(4, 1.5), JSON.stringify({ event: 'validation', step: 4, loss: 1.625 }),
    ].join('\n');
    const all = new MetricsHistory();
    expect(all.load(text)).toBe(1); // the torn line
    expect(all.loss).toEqual([[1, 2.5], [2, Number.NaN], [3, 1.75], [4, 1.5]]);
    expect(all.gradNorm).toEqual([[1, 0.1], [2, 0.2], [3, 0.3], [4, 0.4]]);
    expect(all.validation).toEqual([[2, 2.25], [4, 1.625]]);
    const upTo2 = new MetricsHistory();
    upTo2.load(text, 2);
    expect(upTo2.loss).toEqual([[1, 2.5], [2, Number.NaN]]);
    expect(upTo2.validation).toEqual([[2, 2.25]]);
  });
}, { only: ['cpu'] });
