/** Where we run: Node or a browser (a browser-mode test page counts as a browser). */

/** True in Node.js (and not in a browser page, even one that polyfills `process`). */
export function isNode(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof (globalThis as { window?: unknown }).window === 'undefined' && typeof proc?.versions?.node === 'string';
}

/** True in a browser page or worker. */
export function isBrowser(): boolean {
  return !isNode();
}

/**
 * `import()` of a module that exists only in Node (or only when the user installed it), hidden
 * from bundlers so a browser build never tries to resolve it.
 */
export function importOptional<T = unknown>(specifier: string): Promise<T> {
  return import(/* @vite-ignore */ specifier) as Promise<T>;
}
