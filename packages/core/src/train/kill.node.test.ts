/**
 * SIGKILL at random moments, with a real child process and real signals: a run killed during a
 * checkpoint write (after "last" was moved aside; after the temp file was written, before its
 * rename) and at seeded random moments resumes each time from the last complete checkpoint — the
 * previous one when the newest write died — and reproduces the uninterrupted run's losses,
 * gradient norms and final weights exactly (cpu kernels are deterministic).
 *
 * The child (`fixtures/kill-child.mjs`) runs the built Trainer from dist/ (Node cannot run the
 * TypeScript sources): run `npx tsc -b packages/core` after changing them.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../testing/random.js';

const CHILD = fileURLToPath(new URL('./fixtures/kill-child.mjs', import.meta.url));
const DIST = fileURLToPath(new URL('../../dist/train/', import.meta.url));
const STEPS = 30;

type Event =
  | { event: 'step'; step: number; loss: number; gradNorm: number }
  | { event: 'resume'; step: number; name: string; rejected: string[] }
  | { event: 'write-start' | 'written'; name: string }
  | { event: 'before-rename' }
  | { event: 'end'; weights: number[] };

interface Attempt {
  events: Event[];
  killed: boolean;
  code: number | null;
  stderr: string;
  /** Milliseconds from the first step to the exit. */
  ms: number;
}

/** Runs the child; `killWhen` sees each event (and the time since the first step) and returns true to SIGKILL it there. */
function attempt(dir: string, init: number, killWhen: (e: Event, msSinceFirstStep: number | undefined) => boolean = () => false, pauseAt = 'none'): Promise<Attempt> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, String(STEPS), String(init), pauseAt], { stdio: ['ignore', 'pipe', 'pipe'] });
    const events: Event[] = [];
    let buffer = '';
    let stderr = '';
    let killed = false;
    let firstStep: number | undefined;
    const kill = () => {
      if (!killed) child.kill('SIGKILL');
      killed = true;
    };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        // Lines after the kill decision still happened (the signal lands asynchronously): keep them.
        const e = JSON.parse(line) as Event;
        events.push(e);
        if (e.event === 'step') firstStep ??= performance.now();
        if (!killed && killWhen(e, firstStep === undefined ? undefined : performance.now() - firstStep)) kill();
      }
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ events, killed: signal === 'SIGKILL', code, stderr, ms: performance.now() - (firstStep ?? performance.now()) }));
  });
}

const steps = (a: Attempt) => a.events.filter((e): e is Extract<Event, { event: 'step' }> => e.event === 'step');
const resumeOf = (a: Attempt) => a.events.find((e): e is Extract<Event, { event: 'resume' }> => e.event === 'resume');

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('SIGKILL at random moments (a real child process)', () => {
  it('dist/ is built (the child runs it)', () => {
    // tsc -b keeps outputs whose inputs' content did not change, so file times cannot tell a stale dist/; build before testing.
    expect(existsSync(join(DIST, 'trainer.js')), `${DIST}trainer.js is missing; run npx tsc -b packages/core`).toBe(true);
  });

  it('resumes from the last complete checkpoint after each kill and reproduces the uninterrupted run exactly', async () => {
    const straightDir = await mkdtemp(join(tmpdir(), 'recurrent-kill-straight-'));
    const dir = await mkdtemp(join(tmpdir(), 'recurrent-kill-'));
    dirs.push(straightDir, dir);
    const straight = await attempt(straightDir, 1);
    expect(straight.code, straight.stderr).toBe(0);
    expect(steps(straight).map((e) => e.step)).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));

    const seed = 20261122;
    const random = mulberry32(seed);
    const attempts: Attempt[] = [];
    // 1: during the second checkpoint write (step 6), after the temp file is written, before the rename.
    // (The child holds there for 10 s, so the kill lands inside the write however loaded the machine is.)
    let renames = 0;
    attempts.push(await attempt(dir, 1, (e) => e.event === 'before-rename' && ++renames === 2, 'before-rename:2'));
    // 2: at the start of this attempt's second write, after "last" was moved to "last.prev".
    let writes = 0;
    attempts.push(await attempt(dir, 102, (e) => e.event === 'write-start' && ++writes === 2, 'write-start:2'));
    // Then at seeded random moments (within the first half of the straight run's duration, so they
    // land before the end on a busy machine too), until an attempt completes.
    for (let k = 0; attempts.length < 10 && attempts.at(-1)!.killed; k++) {
      const at = k < 3 ? random() * 0.5 * straight.ms : Infinity; // ms after the attempt's first step
      attempts.push(await attempt(dir, 103 + k, (_e, ms) => ms !== undefined && ms >= at));
    }
    const info = `seed ${seed}; attempts: ${JSON.stringify(attempts.map((a) => ({ killed: a.killed, code: a.code, resume: resumeOf(a), steps: steps(a).map((e) => e.step), stderr: a.stderr.slice(0, 300) })))}`;
    expect(attempts.at(-1)!.code, info).toBe(0);
    expect(attempts.filter((a) => a.killed).length, info).toBeGreaterThanOrEqual(3);

    // The first kill left no last.ckpt (moved aside, the new one never renamed): resume fell back to last.prev at step 3.
    expect(resumeOf(attempts[1]!), info).toEqual({ event: 'resume', step: 3, name: 'last.prev', rejected: [] });
    // The second kill hit the step-9 write after step 6's "last" had become "last.prev".
    expect(resumeOf(attempts[2]!), info).toEqual({ event: 'resume', step: 6, name: 'last.prev', rejected: [] });
    // Every resume starts at a multiple of 3 (a complete checkpoint) no later than the last step seen before the kill.
    for (let i = 1; i < attempts.length; i++) {
      const r = resumeOf(attempts[i]!);
      const seen = Math.max(0, ...steps(attempts[i - 1]!).map((e) => e.step), resumeOf(attempts[i - 1]!)?.step ?? 0);
      if (r === undefined) expect(seen, info).toBeLessThan(3);
      else {
        expect(r.step % 3, info).toBe(0);
        expect(r.step, info).toBeLessThanOrEqual(seen);
      }
    }
    const lastPerStep = new Map<number, [number, number]>();
    for (const a of attempts) for (const e of steps(a)) lastPerStep.set(e.step, [e.loss, e.gradNorm]);
    const resumed = [...lastPerStep.entries()].sort((x, y) => x[0] - y[0]).map(([, v]) => v);
    expect(resumed, info).toEqual(steps(straight).map((e) => [e.loss, e.gradNorm])); // exact
    const end = (a: Attempt) => a.events.find((e): e is Extract<Event, { event: 'end' }> => e.event === 'end')!.weights;
    expect(end(attempts.at(-1)!), info).toEqual(end(straight));
  }, 60_000);
});
