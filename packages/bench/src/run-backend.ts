/**
 * Runs a {@link BackendRequest} on the backend that is active in this JavaScript realm — this Node
 * process or a Chromium page: every case (ours and tf.layers, alternated), the backend's matMul
 * rates on the cases' shapes, and the training memory scan. A case that fails becomes a row
 * carrying the reason; nothing here throws for one bad case.
 */
import { countFlops, matMulLimit, matMulShapes } from './flops.js';
import { matMulRate, profileUnit, summarize, timeModels, type Log, type UnitProfile } from './measure.js';
import { buildModel, modelName, type BenchModel, type Impl } from './models.js';
import type { BackendRequest, Case, Effort, Environment, ImplResult, MatMulRate, MemoryRow, Row } from './types.js';

/** A one-line description of a case, for progress lines and tables. */
export function describeCase(c: Case): string {
  const s = c.shape;
  return `${c.cell} ${c.mode} B${s.batch} T${s.time} I${s.inputs} H${s.hidden}`;
}

function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  // Emscripten's abort says nothing of why; on a tensor-heavy step it is the heap.
  return /^Aborted\(/.test(text) ? `${text} (most likely out of memory: the wasm heap holds at most 4 GiB)` : text;
}

/** Runs the request's cases and memory scan on the active backend. */
export async function runRequest(request: BackendRequest, environment: Environment, backend: string, device: string | undefined, log: Log): Promise<{ rows: Row[]; memory: MemoryRow[] }> {
  const rates = new Map<string, number>();
  const rate = async (shape: readonly [number, number, number]): Promise<number> => {
    const key = shape.join('x');
    let r = rates.get(key);
    if (r === undefined) {
      r = await matMulRate(shape, request.effort);
      log(`    matMul [${shape[0]}, ${shape[1]}] × [${shape[1]}, ${shape[2]}]: ${r.toFixed(2)} GFLOP/s`);
      rates.set(key, r);
    }
    return r;
  };
  const rows: Row[] = [];
  for (const c of request.cases) {
    log(`  ${environment}:${backend} ${describeCase(c)}`);
    const base: Row = { environment, backend, case: c, ...(device ? { device } : {}) };
    try {
      const row: Row = { ...base, ...(await runCase(c, request.effort, request.layers, rate, log)) };
      const ms = (r: ImplResult | undefined) => (r ? `${r.name} ${r.medianMs.toFixed(1)} ms` : '');
      log(`    → ${[ms(row.ours), ms(row.layers)].filter((t) => t).join(', ')}${row.speedup ? `: ${row.speedup.toFixed(2)}×` : ''}`);
      rows.push(row);
    } catch (error) {
      log(`    failed: ${message(error)}`);
      rows.push({ ...base, error: message(error) });
    }
  }
  const memory: MemoryRow[] = [];
  for (const cell of request.memory.cells) {
    log(`  ${environment}:${backend} memory scan ${cell}, T = ${request.memory.times.join(', ')}`);
    memory.push(await scanMemory(cell, request, environment, backend, log));
  }
  return { rows, memory };
}

type Rate = (shape: readonly [number, number, number]) => Promise<number>;

async function runCase(c: Case, effort: Effort, withLayers: boolean, rate: Rate, log: Log): Promise<Partial<Row>> {
  const impls: Impl[] = withLayers ? ['ours', 'layers'] : ['ours'];
  const models: BenchModel[] = [];
  try {
    for (const impl of impls) models.push(buildModel(impl, c));
    const unitsPerRep = c.mode === 'generation' ? c.shape.time : 1;
    const samples = await timeModels(models, unitsPerRep, effort, log);
    const profiles: UnitProfile[] = [];
    for (const m of models) profiles.push(await profileUnit(m));
    const flops = countFlops(c.cell, c.mode, c.shape);
    const shapes = matMulShapes(c.cell, c.mode, c.shape);
    const recurrentGflops = await rate(shapes.recurrent);
    const inputGflops = await rate(shapes.input);
    const matMul: MatMulRate = { recurrentGflops, inputGflops, limitGflops: matMulLimit(flops, inputGflops, recurrentGflops) };
    const results = models.map((m, i): ImplResult => {
      const { median, min, max } = summarize(samples[i]!);
      const gflops = flops.total / (median * 1e6);
      return {
        name: m.name,
        samplesMs: samples[i]!,
        medianMs: median,
        minMs: min,
        maxMs: max,
        tokensPerSecond: flops.tokens / (median / 1000),
        gflops,
        fractionOfMatMul: matMul.limitGflops > 0 ? gflops / matMul.limitGflops : 0,
        kernelsPerTimeStep: profiles[i]!.kernels / m.timeSteps,
        peakBytes: profiles[i]!.peakBytes,
      };
    });
    const [ours, layers] = results;
    return { flops: flops.total, matMul, ours: ours!, ...(layers ? { layers, speedup: layers.medianMs / ours!.medianMs } : {}) };
  } finally {
    for (const m of models) m.dispose();
  }
}

/** The wasm heap is 32-bit: past it the module aborts, and stays unusable for the rest of the run. */
const WASM_HEAP_BYTES = 4 * 2 ** 30;

/**
 * Working memory of one training step at each sequence length (ascending), after one warm-up
 * step. On wasm a point whose memory, extrapolated linearly from the previous length, would not
 * fit the heap is skipped with that reason instead of aborting the module.
 */
async function scanMemory(cell: Case['cell'], request: BackendRequest, environment: Environment, backend: string, log: Log): Promise<MemoryRow> {
  const row: MemoryRow = { environment, backend, cell, shape: request.memory.shape, points: [] };
  const impls: Impl[] = request.layers ? ['ours', 'layers'] : ['ours'];
  const last = new Map<Impl, { time: number; bytes: number }>();
  for (const time of [...request.memory.times].sort((a, b) => a - b)) {
    const point: MemoryRow['points'][number] = { time };
    for (const impl of impls) {
      const name = modelName(impl, cell);
      const record = (bytes: number | undefined, error?: string) => {
        if (impl === 'ours') Object.assign(point, bytes === undefined ? { oursError: error } : { oursBytes: bytes });
        else Object.assign(point, bytes === undefined ? { layersError: error } : { layersBytes: bytes });
      };
      const prev = last.get(impl);
      const expected = prev === undefined ? 0 : (prev.bytes * time) / prev.time;
      if (backend === 'wasm' && expected > 0.9 * WASM_HEAP_BYTES) {
        const mib = (b: number) => `${Math.round(b / 2 ** 20)} MiB`;
        const why = `skipped: ${mib(prev!.bytes)} at T=${prev!.time} extrapolates to ~${mib(expected)}, beyond the 4 GiB wasm heap (an abort would end wasm for the rest of the run)`;
        log(`    T ${time} ${name} ${why}`);
        record(undefined, why);
        continue;
      }
      const c: Case = { cell, mode: 'training', shape: { ...request.memory.shape, time } };
      let model: BenchModel | undefined;
      try {
        model = buildModel(impl, c);
        await model.unit(); // Adam creates its moment variables on the first step
        const { peakBytes } = await profileUnit(model);
        log(`    T ${time} ${name}: ${(peakBytes / 2 ** 20).toFixed(1)} MiB`);
        record(peakBytes);
        last.set(impl, { time, bytes: peakBytes });
      } catch (error) {
        log(`    T ${time} ${name} failed: ${message(error)}`);
        record(undefined, message(error));
      } finally {
        model?.dispose();
      }
    }
    row.points.push(point);
  }
  return row;
}
