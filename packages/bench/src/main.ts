/**
 * `recurrent-bench`'s main function: parse the command line, run every target (Node backends in
 * this process, Chromium backends in one headless browser), then print the table and write the
 * JSON and markdown files. Returns the report, so tests can run the real command path.
 */
import { writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import { runInChromium } from './browser/chromium.js';
import { HELP, parseConfig, type BenchConfig } from './config.js';
import { formatJson, formatMarkdown, formatTerminal } from './format.js';
import { runInNode } from './node-runner.js';
import type { BackendRequest, BackendResponse, MemoryRow, Report, Row, Target } from './types.js';

export interface MainIO {
  /** The table (stdout). */
  out(text: string): void;
  /** Progress, one line at a time (stderr). */
  progress(line: string): void;
}

const processIO: MainIO = {
  out: (text) => process.stdout.write(text),
  progress: (line) => process.stderr.write(`${line}\n`),
};

/** CPU model, cores, memory, Node version: enough to tell one machine's table from another's. */
export function describeMachine(): string {
  const cpus = os.cpus();
  const model = (cpus[0]?.model ?? 'unknown CPU').replace(/\s+/g, ' ').trim();
  return `${cpus.length} × ${model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.arch()}, Node ${process.version}`;
}

function loadAverage(): string {
  return os.loadavg().map((l) => l.toFixed(2)).join(' ');
}

/** Quotes an argument only when a shell would need it. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function requestFor(config: BenchConfig, target: Target): BackendRequest {
  return {
    backend: target.backend,
    cases: config.cases,
    effort: config.effort,
    layers: config.layers,
    memory: { cells: config.memoryCells, shape: config.memoryShape, times: config.memoryTimes },
    ...(target.wasm !== undefined ? { wasm: target.wasm } : {}),
  };
}

function rowsOf(target: Target, response: BackendResponse): { rows: Row[]; memory: MemoryRow[] } {
  if (response.error === undefined) return { rows: response.rows, memory: response.memory };
  return { rows: [{ environment: target.environment, backend: response.backend, error: response.error }], memory: [] };
}

/** Runs the bench for `argv` (without node and the script). `undefined` after `--help`. */
export async function main(argv: string[], io: MainIO = processIO): Promise<Report | undefined> {
  const parsed = parseConfig(argv);
  if (parsed.help) {
    io.out(HELP);
    return undefined;
  }
  const { config } = parsed;
  const loadBefore = loadAverage();
  const nodeTargets = config.targets.filter((t) => t.environment === 'node');
  const browserTargets = config.targets.filter((t) => t.environment === 'chromium');
  const answers = new Map<Target, BackendResponse>();
  const t0 = performance.now();
  for (const target of nodeTargets) {
    io.progress(`node:${target.backend}${target.wasm ? ` (${target.wasm.threads ?? 'default'} threads, ${target.wasm.kernels} kernels)` : ''} …`);
    answers.set(target, await runInNode(requestFor(config, target), io.progress));
  }
  if (browserTargets.length > 0) {
    io.progress(`chromium: ${browserTargets.map((t) => t.backend).join(', ')} …`);
    const responses = await runInChromium(browserTargets.map((t) => requestFor(config, t)), io.progress);
    browserTargets.forEach((t, i) => answers.set(t, responses[i]!));
  }
  io.progress(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const report: Report = {
    date: new Date().toISOString(),
    machine: describeMachine(),
    load: `${loadBefore} → ${loadAverage()}`,
    command: ['recurrent-bench', ...argv.filter((_, i) => !isOutputOption(argv, i))].map(shellWord).join(' '),
    effort: config.effort,
    rows: [],
    memory: [],
  };
  for (const target of config.targets) {
    const { rows, memory } = rowsOf(target, answers.get(target)!);
    report.rows.push(...rows);
    report.memory.push(...memory);
  }
  io.out(formatTerminal(report));
  if (config.json !== undefined) await writeFile(config.json, formatJson(report));
  if (config.markdown !== undefined) await writeFile(config.markdown, formatMarkdown(report));
  return report;
}

/** `--json FILE` / `--markdown FILE` (and their values) say where output goes, not what was measured. */
function isOutputOption(argv: string[], i: number): boolean {
  const word = argv[i]!;
  const previous = argv[i - 1];
  return /^--(json|markdown)(=|$)/.test(word) || (previous !== undefined && /^--(json|markdown)$/.test(previous));
}
