/**
 * Metrics out of the trainer: JSON lines for machines, an in-memory history, and the loss,
 * gradient-norm and gradient-flow curves as an SVG for people.
 *
 * JSON lines: one object per event, `{"event":"step","step":12,"loss":1.93,…}`, also
 * `"validation"`, `"non-finite"`, `"checkpoint"`, `"start"` and `"end"`. NaN and ±Infinity are
 * written as the strings "NaN", "Infinity", "-Infinity" (JSON has no such numbers, and a NaN
 * loss is exactly what one wants to find in a log). A resumed run appends again the steps between
 * the checkpoint and the kill: readers keep the last record per step.
 */
import type { GradientFlow } from './context.js';
import { renderChart, type Panel } from './svg.js';
import type { StepMetrics, TrainerCallback, ValidationMetrics } from './trainer-types.js';

/** Where text lines go: a file (checkpoint-fs.ts `fileLines`), an array, a socket… */
export interface LineSink {
  write(line: string): void | Promise<void>;
  close?(): void | Promise<void>;
}

const replacer = (_key: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v);

/**
 * A callback writing every trainer event as one JSON line.
 *
 * @example
 * ```ts
 * const lines: string[] = [];
 * new Trainer({ ..., callbacks: [jsonLines({ write: (l) => void lines.push(l) })] });
 * ```
 */
export function jsonLines(sink: LineSink): TrainerCallback {
  const put = (event: string, body: object) => sink.write(`${JSON.stringify({ event, ...body }, replacer)}\n`);
  return {
    onStart: (e) => put('start', e),
    onStep: (m) => put('step', m),
    onValidation: (m) => put('validation', m),
    onNonFinite: (e) => put('non-finite', e),
    onCheckpoint: (e) => put('checkpoint', e),
    onResume: (e) => put('resume', e),
    onEnd: async (s) => {
      await put('end', s);
      await sink.close?.();
    },
  };
}

/** Everything needed to draw the curves, recorded from the trainer's events. */
export class MetricsHistory implements TrainerCallback {
  readonly loss: [number, number][] = [];
  readonly gradNorm: [number, number][] = [];
  readonly validation: [number, number][] = [];
  readonly learningRate: [number, number][] = [];
  /** Steps whose update the NaN guard skipped. */
  readonly skipped: number[] = [];
  /** The last gradient-flow measurement and its step. */
  gradientFlow: { step: number; flow: GradientFlow } | undefined;

  onStep(m: StepMetrics): void {
    this.loss.push([m.step, m.loss]);
    this.gradNorm.push([m.step, m.gradNorm]);
    this.learningRate.push([m.step, m.learningRate]);
    if (m.skipped) this.skipped.push(m.step);
    if (m.gradientFlow) this.gradientFlow = { step: m.step, flow: m.gradientFlow };
  }

  onValidation(m: ValidationMetrics): void {
    this.validation.push([m.step, m.loss]);
  }

  /**
   * Adds the step and validation records of JSON lines written by {@link jsonLines} up to step
   * `upTo` (a resumed run: the steps up to its checkpoint; later ones are trained again), keeping
   * the last record per step, so a curve drawn after a resume covers the whole run. Lines that do
   * not parse (the half-written tail of a killed run) are skipped; returns how many were.
   *
   * @example
   * ```ts
   * const history = new MetricsHistory();
   * await trainer.resume();
   * history.load(await readFile('runs/a/metrics.jsonl', 'utf8'), trainer.step);
   * ```
   */
  load(text: string, upTo = Number.POSITIVE_INFINITY): number {
    const steps = new Map<number, StepMetrics>();
    const validations = new Map<number, number>();
    let bad = 0;
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      let record: { event?: unknown; step?: unknown; loss?: unknown };
      try {
        record = JSON.parse(line, reviver) as typeof record;
      } catch {
        bad++;
        continue;
      }
      if (typeof record.step !== 'number' || record.step > upTo) continue;
      if (record.event === 'step') steps.set(record.step, record as unknown as StepMetrics);
      else if (record.event === 'validation' && typeof record.loss === 'number') validations.set(record.step, record.loss);
    }
    for (const step of [...steps.keys()].sort((a, b) => a - b)) this.onStep(steps.get(step)!);
    for (const step of [...validations.keys()].sort((a, b) => a - b)) this.validation.push([step, validations.get(step)!]);
    return bad;
  }
}

/** Reads back what {@link jsonLines} wrote for non-finite numbers. */
const reviver = (_key: string, v: unknown) => (v === 'NaN' ? Number.NaN : v === 'Infinity' ? Number.POSITIVE_INFINITY : v === '-Infinity' ? Number.NEGATIVE_INFINITY : v);

/** An exponential moving average of a series (α = 2/(span + 1)), skipping non-finite values. */
export function smooth(points: readonly (readonly [number, number])[], span = 50): [number, number][] {
  const a = 2 / (span + 1);
  let ema: number | undefined;
  const out: [number, number][] = [];
  for (const [x, y] of points) {
    if (!Number.isFinite(y)) continue;
    ema = ema === undefined ? y : ema + a * (y - ema);
    out.push([x, ema]);
  }
  return out;
}

/**
 * The training curves as SVG: loss (raw, smoothed, validation), ‖g‖ before clipping on a log
 * scale with the clipping threshold, and, when measured, ‖∂E/∂h_k‖ against k on a log scale.
 *
 * @example
 * ```ts
 * const history = new MetricsHistory();
 * await new Trainer({ ..., callbacks: [history] }).run();
 * await atomicWriteFile('curves.svg', trainingCurves(history, { clipNorm: 5 }));
 * ```
 */
export function trainingCurves(h: MetricsHistory, options: { clipNorm?: number; title?: string } = {}): string {
  const prefix = options.title ? `${options.title}: ` : '';
  const panels: Panel[] = [
    {
      title: `${prefix}loss`,
      xLabel: 'step',
      yLabel: 'loss',
      series: [
        { name: 'train', points: h.loss, opacity: 0.3 },
        { name: 'train (smoothed)', points: smooth(h.loss), color: '#1f77b4' },
        { name: 'validation', points: h.validation, color: '#d62728', dots: h.validation.length < 40 },
      ],
    },
    {
      title: `${prefix}gradient norm before clipping`,
      xLabel: 'step',
      yLabel: '‖g‖',
      log: true,
      series: [{ name: '‖g‖', points: h.gradNorm, opacity: 0.5, color: '#2ca02c' }],
      hlines: options.clipNorm !== undefined ? [{ y: options.clipNorm, label: `clip threshold ${options.clipNorm}` }] : [],
    },
  ];
  const g = h.gradientFlow;
  if (g) {
    panels.push({
      title: `${prefix}gradient flow through time at step ${g.step}`,
      xLabel: 'k (time step)',
      yLabel: '‖∂E/∂h_k‖',
      log: true,
      series: g.flow.layers.map((l) => ({ name: l.name, points: l.norms.map((n, k) => [k, n] as [number, number]) })),
    });
  }
  return renderChart(panels);
}

/**
 * A callback that renders {@link trainingCurves} and hands the SVG to `save` every `every` steps
 * and at the end of the run.
 *
 * @example
 * ```ts
 * callbacks: [svgCurves((svg) => atomicWriteFile('runs/a/curves.svg', svg), { clipNorm: 5 })]
 * ```
 */
export function svgCurves(save: (svg: string) => void | Promise<void>, options: { every?: number; clipNorm?: number; title?: string } = {}): TrainerCallback & { history: MetricsHistory } {
  const history = new MetricsHistory();
  return {
    history,
    onStep: async (m) => {
      history.onStep(m);
      if (options.every !== undefined && m.step % options.every === 0) await save(trainingCurves(history, options));
    },
    onValidation: (m) => history.onValidation(m),
    onEnd: () => save(trainingCurves(history, options)),
  };
}
