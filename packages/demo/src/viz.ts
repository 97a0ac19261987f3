/**
 * The "inside the model" view: text coloured by one unit of one layer (cell, hidden state or a
 * gate), and the model's top candidates for the next character at the character pointed at.
 * Traces incrementally: text that extends the last traced text costs only its new characters.
 */
import type { HostCharModel } from '@recurrent/models';
import { QUANTITIES, QUANTITY_NAMES, topK, Tracer, type Quantity, type TraceStep } from './trace.js';

/** Only the last characters are drawn (tracing covers all of them). */
const MAX_DRAWN = 2000;

/** A value in [−1, 1] as a background colour: blue (−1) → white (0) → red (+1). */
export function colourOf(v: number): string {
  const a = Math.max(-1, Math.min(1, v));
  const w = Math.round(255 * (1 - Math.abs(a)));
  return a >= 0 ? `rgb(255, ${w}, ${w})` : `rgb(${w}, ${w}, 255)`;
}

/** What is drawn for a value: tanh(c) for the unbounded cell state, 2g − 1 for gates in [0, 1]. */
export function displayValue(q: Quantity, v: number): number {
  if (q === 'c') return Math.tanh(v);
  if (q === 'i' || q === 'f' || q === 'o' || q === 'z' || q === 'r') return 2 * v - 1;
  return v;
}

const show = (c: string) => (c === '\n' ? '↵\n' : c === ' ' ? '\u00a0' : c);

export class ModelView {
  private readonly tracer: Tracer;
  private steps: TraceStep[] = [];
  private traced = '';
  private selected = -1;
  private varianceOrder: number[] = [];
  private varianceRank = 0;

  constructor(
    private readonly host: HostCharModel,
    private readonly el: { view: HTMLElement; candidates: HTMLElement; layer: HTMLSelectElement; quantity: HTMLSelectElement; unit: HTMLInputElement },
  ) {
    this.tracer = new Tracer(host);
    const { layers, hidden, cell } = host.config;
    el.layer.innerHTML = Array.from({ length: layers }, (_, l) => `<option value="${l}">${l + 1}</option>`).join('');
    el.quantity.innerHTML = QUANTITIES[cell].map((q) => `<option value="${q}">${QUANTITY_NAMES[q]}</option>`).join('');
    el.unit.max = String(hidden - 1);
    el.view.addEventListener('mouseover', (e) => this.pointAt(e.target));
    el.view.addEventListener('click', (e) => this.pointAt(e.target));
  }

  /** Traces `text` (characters outside the vocabulary are skipped) and redraws. */
  update(text: string): void {
    const index = new Map(this.host.vocabulary.map((c, i) => [c, i]));
    const chars = Array.from(text).filter((c) => index.has(c));
    const clean = chars.join('');
    if (!clean.startsWith(this.traced)) {
      this.tracer.reset();
      this.steps = [];
      this.traced = '';
    }
    for (const c of Array.from(clean.slice(this.traced.length))) this.steps.push(this.tracer.step(index.get(c)!));
    this.traced = clean;
    this.varianceOrder = [];
    this.draw();
  }

  get length(): number {
    return this.steps.length;
  }

  /** The traced steps (for tests and the console). */
  get trace(): readonly TraceStep[] {
    return this.steps;
  }

  private current(): { layer: number; q: Quantity; unit: number } {
    const H = this.host.config.hidden;
    const unit = Math.max(0, Math.min(H - 1, Math.floor(Number(this.el.unit.value) || 0)));
    return { layer: Number(this.el.layer.value) || 0, q: this.el.quantity.value as Quantity, unit };
  }

  /** Redraws the coloured text (after a change of layer, value or unit). */
  draw(): void {
    const { layer, q, unit } = this.current();
    const from = Math.max(0, this.steps.length - MAX_DRAWN);
    const parts: string[] = [];
    for (let k = from; k < this.steps.length; k++) {
      const s = this.steps[k]!;
      const v = s.layers[layer]?.[q]?.[unit] ?? 0;
      const text = show(s.char).replace(/[&<>]/g, (c) => `&#${c.charCodeAt(0)};`);
      parts.push(`<span data-k="${k}" style="background:${colourOf(displayValue(q, v))}" title="${q}[${unit}] = ${v.toFixed(3)}">${text}</span>`);
    }
    this.el.view.innerHTML = parts.join('');
    this.el.view.scrollTop = this.el.view.scrollHeight;
    this.showCandidates(this.selected >= from && this.selected < this.steps.length ? this.selected : this.steps.length - 1);
  }

  /** Sets the unit to the next one in decreasing order of variance of the value over the text. */
  nextInterestingUnit(): void {
    const { layer, q } = this.current();
    if (this.varianceOrder.length === 0) {
      const H = this.host.config.hidden;
      const mean = new Float64Array(H);
      const sq = new Float64Array(H);
      for (const s of this.steps) {
        const v = s.layers[layer]?.[q];
        if (v === undefined) continue;
        for (let j = 0; j < H; j++) {
          const d = displayValue(q, v[j]!);
          mean[j]! += d;
          sq[j]! += d * d;
        }
      }
      const n = Math.max(1, this.steps.length);
      const variance = Array.from(mean, (m, j) => sq[j]! / n - (m / n) ** 2);
      this.varianceOrder = variance.map((v, j) => [v, j] as const).sort((a, b) => b[0] - a[0]).map(([, j]) => j);
      this.varianceRank = 0;
    }
    this.el.unit.value = String(this.varianceOrder[this.varianceRank % this.varianceOrder.length] ?? 0);
    this.varianceRank++;
    this.draw();
  }

  private pointAt(target: EventTarget | null): void {
    const k = Number((target as HTMLElement | null)?.dataset?.k);
    if (!Number.isInteger(k)) return;
    this.el.view.querySelector('.selected')?.classList.remove('selected');
    (target as HTMLElement).classList.add('selected');
    this.selected = k;
    this.showCandidates(k);
  }

  private showCandidates(k: number): void {
    const s = this.steps[k];
    if (s === undefined) {
      this.el.candidates.innerHTML = '';
      return;
    }
    const actual = this.steps[k + 1]?.char;
    const rows = topK(s.next, 5).map(([i, p]) => {
      const c = this.host.vocabulary[i]!;
      const mark = c === actual ? ' ✓' : '';
      return `<tr data-char="${encodeURIComponent(c)}" data-p="${p}"><td>${JSON.stringify(c).replace(/[&<>]/g, (x) => `&#${x.charCodeAt(0)};`)}</td><td><span class="bar" style="width:${(100 * p).toFixed(0)}px"></span></td><td>${(100 * p).toFixed(1)}%${mark}</td></tr>`;
    });
    this.el.candidates.innerHTML = `<div>after ${JSON.stringify(s.char).replace(/[&<>]/g, (x) => `&#${x.charCodeAt(0)};`)} (#${k}) the model expects:</div><table>${rows.join('')}</table>`;
  }
}
