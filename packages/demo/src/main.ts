/**
 * The demo page: loads the committed Shakespeare model, starts the best backend the core finds,
 * and writes live. Query parameters: `?model=URL` (another model.json), `?backend=NAME` (start on
 * that backend instead of the best one). Every failure ends in the error box, never a blank page.
 */
import type { BackendName, BackendReport } from '@recurrent/core';
import { fetchCharModel, type HostCharModel } from '@recurrent/models';
import { activate, describeBackend, PAGE_BACKENDS, probePageBackends } from './backends.js';
import { backendError, modelError, showError, unexpectedError } from './errors.js';
import { ModelView } from './viz.js';
import { Writer } from './writer.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`demo: the page has no #${id}`);
  return el as T;
};

const ui = {
  body: document.body,
  error: $('error'),
  status: $('status'),
  modelInfo: $('model-info'),
  backend: $<HTMLSelectElement>('backend'),
  active: $('active-backend'),
  backendNote: $('backend-note'),
  temperature: $<HTMLInputElement>('temperature'),
  temperatureValue: $('temperature-value'),
  length: $<HTMLInputElement>('length'),
  prime: $<HTMLTextAreaElement>('prime'),
  generate: $<HTMLButtonElement>('generate'),
  stop: $<HTMLButtonElement>('stop'),
  cont: $<HTMLButtonElement>('continue'),
  speed: $('speed'),
  outPrime: $('output-prime'),
  outText: $('output-text'),
  vizSource: $<HTMLSelectElement>('viz-source'),
  vizTyped: $<HTMLTextAreaElement>('viz-typed'),
  vizNext: $<HTMLButtonElement>('viz-next'),
};

const fail = (e: ReturnType<typeof unexpectedError>) => {
  showError(ui.error, e);
  ui.status.textContent = e.title;
};
window.addEventListener('error', (e) => fail(unexpectedError(e.error ?? e.message)));
window.addEventListener('unhandledrejection', (e) => fail(unexpectedError(e.reason)));

const params = new URLSearchParams(location.search);
const modelUrl = params.get('model') ?? 'model/model.json';

function setRunning(running: boolean, writer: Writer): void {
  ui.body.dataset.running = String(running);
  ui.generate.disabled = running;
  ui.stop.disabled = !running;
  ui.cont.disabled = running || !writer.canContinue;
  ui.backend.disabled = false;
}

function modelSummary(host: HostCharModel): string {
  const c = host.config;
  const params = [...host.weights.values()].reduce((n, t) => n + t.values.length, 0);
  const about = host.about as { trainedFor?: string; quality?: Record<string, { loss?: number }> } | undefined;
  const loss = about?.quality?.[host.dtype]?.loss;
  return `${c.layers} × ${c.cell.toUpperCase()}(${c.hidden}), embedding ${c.embedding}, ${params.toLocaleString('en')} parameters, vocabulary ${c.vocabSize}; ` +
    `weights stored as ${host.dtype}${about?.trainedFor ? `; trained ${about.trainedFor} on tiny Shakespeare` : ''}${loss !== undefined ? `; validation loss ${loss} nats/char` : ''}.`;
}

async function main(): Promise<void> {
  ui.status.textContent = 'Finding the backends this browser can run…';
  const { reports, best } = await probePageBackends();
  const byName = new Map(reports.map((r) => [r.name, r]));
  ui.backend.innerHTML = reports
    .map((r) => `<option value="${r.name}"${r.available ? '' : ' disabled'} title="${describeBackend(r).replace(/"/g, '&quot;')}">${r.name}${r.available ? (r.software ? ' (software)' : '') : ' (unavailable)'}</option>`)
    .join('');
  const gpu = byName.get('webgpu');
  if (gpu && !gpu.available) {
    ui.backendNote.innerHTML = `WebGPU is not available here (${gpu.reason}); using the next best backend. For WebGPU use a recent Chrome or Edge over https or http://127.0.0.1 (Chromium on Linux: start it with <code>--enable-unsafe-webgpu</code>).`;
    ui.backendNote.hidden = false;
  }

  ui.status.textContent = `Loading the model from ${modelUrl}…`;
  let host: HostCharModel;
  try {
    host = await fetchCharModel(modelUrl);
  } catch (error) {
    showError(ui.error, modelError(modelUrl, error));
    ui.status.textContent = 'The model could not be loaded.';
    ui.body.dataset.state = 'error';
    return;
  }
  ui.modelInfo.textContent = modelSummary(host);

  const wanted = params.get('backend');
  let first: BackendName = best;
  if (wanted !== null) {
    const r = byName.get(wanted as BackendName);
    if (r?.available) first = r.name;
    else showError(ui.error, backendError(wanted, new Error(r ? (r.reason ?? 'unavailable') : `unknown backend; expected one of ${PAGE_BACKENDS.join(', ')}`)));
  }
  let report: BackendReport;
  try {
    report = await activate(first);
  } catch (error) {
    showError(ui.error, backendError(first, error));
    report = await activate('cpu');
  }
  const showActive = (r: BackendReport) => {
    ui.backend.value = r.name;
    ui.active.textContent = `active: ${describeBackend(r)}${r.name === best ? ' (best here)' : ''}`;
    ui.body.dataset.backend = r.name;
  };
  showActive(report);

  const writer = new Writer(host);
  const view = new ModelView(host, {
    view: $('viz-view'),
    candidates: $('viz-candidates'),
    layer: $<HTMLSelectElement>('viz-layer'),
    quantity: $<HTMLSelectElement>('viz-quantity'),
    unit: $<HTMLInputElement>('viz-unit'),
  });
  const vizText = () => (ui.vizSource.value === 'typed' ? ui.vizTyped.value : writer.text);
  let vizPending = false;
  const refreshViz = (now = false) => {
    if (now) {
      view.update(vizText());
      return;
    }
    if (vizPending) return;
    vizPending = true;
    setTimeout(() => {
      vizPending = false;
      view.update(vizText());
    }, 400);
  };

  const callbacks = {
    temperature: () => Number(ui.temperature.value),
    onChar: (ch: string) => {
      ui.outText.append(ch);
      if (ui.vizSource.value === 'generated') refreshViz();
    },
    onSpeed: (cps: number, n: number) => {
      ui.speed.textContent = `${cps.toFixed(1)} chars/s on ${ui.body.dataset.backend} (${n} characters)`;
      ui.speed.dataset.cps = cps.toFixed(2);
    },
  };
  const length = () => Math.max(1, Math.min(10_000, Math.floor(Number(ui.length.value) || 1)));
  const runFor = async () => {
    setRunning(true, writer);
    ui.status.textContent = 'Writing…';
    try {
      await writer.run(length(), callbacks);
      ui.status.textContent = 'Done. Continue writes more from where it stopped.';
    } catch (error) {
      fail(unexpectedError(error));
    } finally {
      setRunning(false, writer);
      refreshViz(true);
    }
  };

  ui.temperature.addEventListener('input', () => (ui.temperatureValue.textContent = Number(ui.temperature.value).toFixed(2)));
  ui.generate.addEventListener('click', () => {
    const prime = ui.prime.value;
    const unknown = writer.unknownChars(prime);
    if (unknown.length > 0) {
      ui.status.textContent = `The priming text has characters the model never saw: ${unknown.map((c) => JSON.stringify(c)).join(', ')}. Remove them: the model knows only the ${writer.vocab.size} characters of tiny Shakespeare (letters, punctuation, newlines; no digits).`;
      return;
    }
    writer.start(prime, (Date.now() % 1_000_000) + 1);
    ui.outPrime.textContent = prime;
    ui.outText.textContent = '';
    void runFor();
  });
  ui.stop.addEventListener('click', () => void writer.stop());
  ui.cont.addEventListener('click', () => void runFor());
  ui.backend.addEventListener('change', async () => {
    const name = ui.backend.value as BackendName;
    const wasRunning = writer.isRunning;
    ui.body.dataset.state = 'switching';
    ui.backend.disabled = true;
    await writer.stop();
    ui.status.textContent = `Switching to ${name}…`;
    try {
      const snapshot = await writer.snapshot();
      showActive(await activate(name));
      writer.rebuild(snapshot);
      ui.status.textContent = `Now on ${name}.`;
    } catch (error) {
      showError(ui.error, backendError(name, error));
      ui.backend.value = ui.body.dataset.backend ?? 'cpu';
    } finally {
      ui.backend.disabled = false;
      ui.body.dataset.state = 'ready';
      if (wasRunning) void runFor();
    }
  });
  for (const id of ['viz-layer', 'viz-quantity', 'viz-unit']) $(id).addEventListener('input', () => view.draw());
  ui.vizSource.addEventListener('change', () => {
    ui.vizTyped.hidden = ui.vizSource.value !== 'typed';
    refreshViz(true);
  });
  ui.vizTyped.addEventListener('input', () => refreshViz());
  ui.vizNext.addEventListener('click', () => view.nextInterestingUnit());

  ui.generate.disabled = false;
  ui.backend.disabled = false;
  ui.status.textContent = `Ready on ${report.name}. Press Generate.`;
  ui.body.dataset.state = 'ready';
}

main().catch((error) => {
  fail(unexpectedError(error));
  ui.body.dataset.state = 'error';
});
