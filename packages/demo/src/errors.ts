/**
 * Errors shown in the page, never a blank page: what happened, the message, and what to do.
 */

export interface PageError {
  title: string;
  detail: string;
  /** What the reader can do about it (HTML allowed for <code>). */
  fix: string;
}

/** What to do about a model that failed to load. */
export function modelError(url: string, error: unknown): PageError {
  const detail = error instanceof Error ? error.message : String(error);
  const missing = /HTTP 404|could not fetch/.test(detail);
  return {
    title: 'The model could not be loaded.',
    detail,
    fix: missing
      ? `The page expects <code>${escapeHtml(url)}</code> and its <code>weights.bin</code> beside it. Create them with <code>node packages/demo/scripts/model.mjs</code>, rebuild with <code>npx --yes pnpm@12.21.0 --filter @recurrent/demo build</code>, and serve <code>packages/demo/dist/</code>.`
      : 'The model files are damaged or do not belong together. Export them again with <code>node packages/demo/scripts/model.mjs</code> and rebuild the page; if the page is cached, reload it without the cache (Shift+Reload).',
  };
}

/** What to do when no backend could start or a switch failed. */
export function backendError(name: string, error: unknown): PageError {
  return {
    title: `The ${name} backend could not start.`,
    detail: error instanceof Error ? error.message : String(error),
    fix: 'Pick another backend in the selector. WebGPU needs a recent Chrome or Edge (on Linux, Chromium started with <code>--enable-unsafe-webgpu</code>) and a secure page (https or http://127.0.0.1); WebGL needs hardware acceleration enabled in the browser settings; wasm and cpu run everywhere.',
  };
}

export function unexpectedError(error: unknown): PageError {
  return {
    title: 'Something went wrong.',
    detail: error instanceof Error ? `${error.message}` : String(error),
    fix: 'Reload the page. If it happens again, pick another backend in the selector (wasm is the most robust), and report the message above.',
  };
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Renders `e` into `box` and shows it. */
export function showError(box: HTMLElement, e: PageError): void {
  box.innerHTML = `<strong>${escapeHtml(e.title)}</strong>\n${escapeHtml(e.detail)}\n<em>What to do:</em> ${e.fix}`;
  box.hidden = false;
}
