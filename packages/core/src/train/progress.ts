/**
 * Progress on long runs: a one-line bar redrawn in place on a terminal
 *
 *     step 1200/5000 [######..............] 24% | loss 1.532 | ‖g‖ 0.84 | 41.2k tok/s | ETA 3m05s
 *
 * and plain lines every `every` steps when the output is not a terminal (CI logs, files), so logs
 * do not fill with carriage returns. Validation results, skipped steps and the end are printed on
 * their own lines in both modes. Works in browsers (no Node imports): give it any `write`.
 */
import type { TrainerCallback } from './trainer-types.js';

/** Text output: `process.stdout`, or anything with `write`. */
export interface TextOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** `process.stdout` where there is one; otherwise lines to `console.log`. */
export function defaultOutput(): TextOutput {
  const stdout = (globalThis as { process?: { stdout?: TextOutput } }).process?.stdout;
  if (stdout && typeof stdout.write === 'function') return stdout;
  let pending = '';
  return {
    write(text: string) {
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const l of lines) console.log(l);
    },
  };
}

/** 3725 → "1h02m", 185 → "3m05s", 7.2 → "7s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const two = (n: number) => String(n).padStart(2, '0');
  if (s >= 3600) return `${Math.floor(s / 3600)}h${two(Math.floor((s % 3600) / 60))}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${two(s % 60)}s`;
  return `${s}s`;
}

/** 41234 → "41.2k", 950 → "950", 2.5e6 → "2.50M". */
export function formatRate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)}M`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)}k`;
  return perSecond.toFixed(perSecond >= 100 ? 0 : 1);
}

export interface ProgressOptions {
  output?: TextOutput;
  /** Plain-line mode: print every this many steps (default: about 20 lines per run). */
  every?: number;
  /** Bar width in characters (default 20). */
  width?: number;
  /** Terminal mode: redraw at most this often, in ms (default 100). */
  redrawMs?: number;
}

/**
 * A progress callback: a bar on a TTY, plain lines otherwise.
 *
 * @example
 * ```ts
 * new Trainer({ ..., callbacks: [progressBar()] });
 * ```
 */
export function progressBar(options: ProgressOptions = {}): TrainerCallback {
  const out = options.output ?? defaultOutput();
  const tty = out.isTTY === true;
  const width = options.width ?? 20;
  let every = options.every ?? 1;
  let secondsPerStep: number | undefined; // EMA over steps
  let lastDraw = -Infinity;
  let drawn = false;
  const clear = () => {
    if (tty && drawn) out.write('\r\x1b[K');
    drawn = false;
  };
  const line = (text: string) => {
    clear();
    out.write(`${text}\n`);
  };
  return {
    onStart(e) {
      if (options.every === undefined) every = Math.max(1, Math.round(e.totalSteps / 20));
      line(`${e.resumed ? 'resuming at' : 'starting at'} step ${e.step} of ${e.totalSteps}`);
    },
    onStep(m) {
      secondsPerStep = secondsPerStep === undefined ? m.seconds : secondsPerStep + 0.1 * (m.seconds - secondsPerStep);
      const frac = m.step / m.totalSteps;
      const eta = (m.totalSteps - m.step) * secondsPerStep;
      const stats =
        `loss ${m.loss.toFixed(4)} | ‖g‖ ${m.gradNorm.toPrecision(3)}${m.clipped ? ' (clipped)' : ''} | ` +
        `${formatRate(m.tokens / secondsPerStep)} tok/s | ETA ${formatDuration(eta)}`;
      if (tty) {
        const t = performance.now();
        if (t - lastDraw < (options.redrawMs ?? 100) && m.step !== m.totalSteps) return;
        lastDraw = t;
        const filled = Math.round(frac * width);
        const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
        let text = `step ${m.step}/${m.totalSteps} ${bar} ${Math.floor(frac * 100)}% | ${stats}`;
        if (out.columns !== undefined && text.length > out.columns - 1) text = text.slice(0, out.columns - 1);
        out.write(`\r${text}\x1b[K`);
        drawn = true;
      } else if (m.step % every === 0 || m.step === m.totalSteps) {
        line(`step ${m.step}/${m.totalSteps} (${(frac * 100).toFixed(0)}%) | ${stats} | ${formatDuration(m.elapsed)} elapsed`);
      }
    },
    onValidation(v) {
      line(`step ${v.step}: validation loss ${v.loss.toFixed(4)}${v.improved ? ' (best)' : ` (best ${v.best.toFixed(4)}, ${v.sinceImprovement} without improvement)`}`);
    },
    onNonFinite(e) {
      const names = (what: string, list: string[]) => (list.length > 0 ? `; NaN/Inf in the ${what} of ${list.join(', ')}` : '');
      line(`step ${e.step}: non-finite loss ${e.loss} or ‖g‖ ${e.gradNorm}${names('gradient', e.nonFiniteGradients)}${names('weights', e.nonFiniteWeights)}; update skipped (${e.consecutive} in a row)${e.stopping ? '; stopping' : ''}`);
    },
    onResume(e) {
      for (const r of e.rejected) line(`warning: ${r.location} is damaged and was skipped (${r.reason})`);
      if (e.rejected.length > 0) line(`resumed from ${e.location} (step ${e.step}) instead`);
    },
    onEnd(s) {
      const best = s.bestValidationLoss !== undefined ? `, best validation loss ${s.bestValidationLoss.toFixed(4)} at step ${s.bestStep}` : '';
      line(`stopped at step ${s.step} (${s.reason}): ${s.updates} updates, ${s.skipped} skipped, clipping fired ${s.clipCount} times${best}`);
    },
  };
}
