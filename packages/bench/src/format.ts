/**
 * The report as text: an aligned table for the terminal, a markdown table (with date, machine,
 * load and command line) that the README embeds, and JSON for machines. All three come from the
 * same cells, so they cannot disagree.
 */
import type { ImplResult, MemoryRow, Report, Row } from './types.js';

export const MS_LEGEND =
  'ms: median (min–max) per unit — training: one Adam step over B×T tokens (dense softmax head at every step); ' +
  'inference: one forward over B×T; generation: one time step of B sequences, state carried, output read back.';
export const FLOP_LEGEND =
  'GFLOP/s counts the recurrence (2·(I+H)·G·H matMul + pointwise per token; training 3×, plus the head); ' +
  '"of matMul" is that rate over the same backend’s tf.matMul rate on [B,H]×[H,G·H] and [B·T,I]×[I,G·H], measured in the same process.';

/** 1234.5 → "1,235"; 12.34 → "12.3"; 1.234 → "1.23"; 0.5 → "0.50"; 0.001234 → "0.0012". */
export function fmtNumber(v: number): string {
  if (!Number.isFinite(v)) return '—';
  const abs = Math.abs(v);
  if (abs > 0 && abs < 1) return v.toLocaleString('en-US', { minimumSignificantDigits: 2, maximumSignificantDigits: 2 });
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function fmtMs(r: ImplResult | undefined): string {
  return r ? `${fmtNumber(r.medianMs)} (${fmtNumber(r.minMs)}–${fmtNumber(r.maxMs)})` : '—';
}

function mib(bytes: number | undefined): string {
  return bytes === undefined ? '—' : fmtNumber(bytes / 2 ** 20);
}

function pair(a: string, b: string | undefined): string {
  return b === undefined ? a : `${a} / ${b}`;
}

export const HEADER = [
  'backend', 'cell', 'mode', 'B×T×I×H', 'ms ours', 'ms tf.layers', 'speedup', 'tokens/s ours',
  'GFLOP/s ours (of matMul)', 'kernels/step ours / layers', 'peak MiB ours / layers',
];

/** One row's cells, in {@link HEADER}'s order. */
export function rowCells(row: Row): string[] {
  const target = `${row.environment}:${row.backend}${row.variant ? ` (${row.variant})` : ''}`;
  const c = row.case;
  const head = c ? [target, c.cell, c.mode, `${c.shape.batch}×${c.shape.time}×${c.shape.inputs}×${c.shape.hidden}`] : [target, '—', '—', '—'];
  if (row.error !== undefined || row.ours === undefined) {
    return [...head, `unavailable: ${row.error ?? 'no measurement'}`]; // one cell spanning the rest
  }
  const { ours, layers } = row;
  const limit = row.matMul?.limitGflops;
  return [
    ...head,
    fmtMs(ours),
    fmtMs(layers),
    row.speedup === undefined ? '—' : `${row.speedup.toFixed(2)}×`,
    fmtNumber(ours.tokensPerSecond),
    `${fmtNumber(ours.gflops)} (${(ours.fractionOfMatMul * 100).toFixed(0)}% of ${limit === undefined ? '—' : fmtNumber(limit)})`,
    pair(fmtNumber(ours.kernelsPerTimeStep), layers && fmtNumber(layers.kernelsPerTimeStep)),
    pair(mib(ours.peakBytes), layers && mib(layers.peakBytes)),
  ];
}

export const MEMORY_HEADER_START = ['backend', 'cell', 'model', 'B×I×H'];

/** Memory scan: one line per target, cell and model; one column per sequence length; failures as notes. */
export function memoryTable(memory: MemoryRow[]): { header: string[]; rows: string[][]; notes: string[] } {
  const times = [...new Set(memory.flatMap((m) => m.points.map((p) => p.time)))].sort((a, b) => a - b);
  const last = times[times.length - 1];
  const header = [...MEMORY_HEADER_START, ...times.map((t) => `MiB at T=${t}`), last === undefined ? 'bytes/(B·T·H)' : `bytes/(B·T·H) at T=${last}`];
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const m of memory) {
    for (const model of ['ours', 'layers'] as const) {
      const bytes = (t: number) => {
        const p = m.points.find((q) => q.time === t);
        return model === 'ours' ? p?.oursBytes : p?.layersBytes;
      };
      const failure = (t: number) => {
        const p = m.points.find((q) => q.time === t);
        return model === 'ours' ? p?.oursError : p?.layersError;
      };
      const cell = (t: number) => {
        const why = failure(t);
        if (why === undefined) return mib(bytes(t));
        const skipped = why.startsWith('skipped');
        notes.push(`${m.environment}:${m.backend} ${m.cell} ${model === 'ours' ? 'ours' : 'tf.layers'} at T=${t} ${skipped ? why : `failed: ${why}`}`);
        return skipped ? 'skipped' : 'failed';
      };
      if (m.points.every((p) => (model === 'ours' ? p.oursBytes === undefined && p.oursError === undefined : p.layersBytes === undefined && p.layersError === undefined))) continue;
      const atLast = last === undefined ? undefined : bytes(last);
      const perUnit = atLast === undefined || last === undefined ? '—' : fmtNumber(atLast / (m.shape.batch * last * m.shape.hidden));
      rows.push([
        `${m.environment}:${m.backend}${m.variant ? ` (${m.variant})` : ''}`, m.cell, model === 'ours' ? 'ours' : 'tf.layers',
        `${m.shape.batch}×${m.shape.inputs}×${m.shape.hidden}`,
        ...times.map(cell),
        perUnit,
      ]);
    }
  }
  return { header, rows, notes };
}

/** Space-aligned columns; a short row's last cell spans the rest of the line (a reason, say). */
export function alignTable(header: string[], rows: string[][]): string {
  const spans = (r: string[], i: number) => r.length < header.length && i === r.length - 1;
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (i < r.length && !spans(r, i) ? r[i]!.length : 0))));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** A GitHub markdown table; `|` inside cells escaped, short rows filled with empty cells. */
export function markdownTable(header: string[], rows: string[][]): string {
  const fill = (cells: string[]) => [...cells, ...new Array<string>(Math.max(0, header.length - cells.length)).fill('')];
  const line = (cells: string[]) => `| ${fill(cells).map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function devices(report: Report): string[] {
  const seen = new Map<string, string>();
  for (const r of [...report.rows]) if (r.device !== undefined) seen.set(`${r.environment}:${r.backend}${r.variant ? ` (${r.variant})` : ''}`, r.device);
  return [...seen].map(([target, device]) => `${target} = ${device}`);
}

/** The terminal rendering. */
export function formatTerminal(report: Report): string {
  const parts = [
    `${report.date.slice(0, 16).replace('T', ' ')} · ${report.machine}${report.load ? ` · load ${report.load}` : ''}`,
    '',
    alignTable(HEADER, report.rows.map(rowCells)),
    '',
    ...devices(report),
    MS_LEGEND,
    FLOP_LEGEND,
  ];
  if (report.memory.length > 0) {
    const m = memoryTable(report.memory);
    parts.push('', 'Training-step working memory (tf.profile peakBytes above what was held before the step):', '', alignTable(m.header, m.rows), ...m.notes);
  }
  return `${parts.join('\n')}\n`;
}

/** The markdown rendering, for the README. */
export function formatMarkdown(report: Report): string {
  const parts = [
    `Measured ${report.date.slice(0, 10)} on ${report.machine}${report.load ? ` (load average ${report.load})` : ''}:`,
    '',
    '```sh',
    report.command,
    '```',
    '',
    markdownTable(HEADER, report.rows.map(rowCells)),
    '',
    ...devices(report).map((d) => `- ${d}`),
    `- ${MS_LEGEND}`,
    `- ${FLOP_LEGEND}`,
    `- ${report.effort.reps} timed repetitions per model after ${report.effort.warmup} warm-up, ours and tf.layers alternated in the same process.`,
  ];
  if (report.memory.length > 0) {
    const m = memoryTable(report.memory);
    parts.push('', 'Training-step working memory against sequence length (tf.profile peakBytes above what was held before the step):', '', markdownTable(m.header, m.rows));
    if (m.notes.length > 0) parts.push('', ...m.notes.map((n) => `- ${n}`));
  }
  return `${parts.join('\n')}\n`;
}

/** The JSON rendering. */
export function formatJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
