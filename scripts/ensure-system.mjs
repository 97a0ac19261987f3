#!/usr/bin/env node
/**
 * Runs before the tests (`pnpm test`): makes sure the system packages they need are installed, and
 * is the only thing in the project that installs system packages.
 *
 * - Debian's `chromium` for the browser project (webgl and webgpu in headless Chromium). It brings
 *   its own SwiftShader and Vulkan loader, so nothing else is needed for the browser.
 * - Mesa through EGL for webgpu in Node: Dawn's `opengles` backend (the default, see
 *   packages/core/src/backend/node-webgpu.ts) dlopens the unversioned `libEGL.so` (libegl-dev),
 *   dispatched by glvnd (libegl1) to Mesa's EGL (libegl-mesa0), which renders with llvmpipe
 *   (swrast_dri.so in libgl1-mesa-dri). With RECURRENT_DAWN_BACKEND=vulkan: the Vulkan loader
 *   and Mesa's Vulkan drivers instead (Dawn refuses bookworm's lavapipe, hence not the default).
 *
 * What is present is decided by the files the backends load, not by package names, so a machine
 * with its own drivers is left alone. When something is missing and we are root with apt-get, it
 * runs `apt-get update` and `apt-get install --no-install-recommends` (enough, checked on a fresh
 * debootstrap of bookworm), and stops the run if apt-get fails. Without root or apt-get it warns
 * which backends the tests will skip and how to install what they need, and exits 0: the suites
 * then show those backends as skipped.
 *
 * Fast when all is present (one `ldconfig -p`, a few stat calls). Usage: `node scripts/ensure-system.mjs`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findChromium } from './chromium.js';

const TAG = '[ensure-system]';

/** Shared libraries known to the dynamic linker: soname → paths. */
function readLibraries() {
  const map = new Map();
  for (const ldconfig of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    const out = spawnSync(ldconfig, ['-p'], { encoding: 'utf8' });
    if (out.status !== 0) continue;
    for (const line of out.stdout.split('\n')) {
      const m = /^\s*(\S+) \(([^)]*)\) => (\S+)$/.exec(line);
      if (m === null || !m[2].startsWith('libc6')) continue; // ignore other ABIs (32-bit, x32)
      map.set(m[1], [...(map.get(m[1]) ?? []), m[3]]);
    }
    break;
  }
  return map;
}

let libraries = readLibraries();

const hasLibrary = (soname) => libraries.has(soname);

/** A Mesa DRI driver in the `dri/` folder beside the system's libraries (where Mesa looks). */
function hasDriDriver(file) {
  const dirs = new Set([...libraries.values()].flat().map((path) => join(dirname(path), 'dri')));
  return [...dirs].some((dir) => existsSync(join(dir, file)));
}

function hasVulkanIcd() {
  const dirs = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d'];
  return dirs.some((dir) => existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.json')));
}

const dawnBackend = process.env.RECURRENT_DAWN_BACKEND ?? 'opengles';

/** What the tests need from the system, what provides it on Debian, and what is lost without it. */
const needs = [
  {
    what: 'chromium',
    purpose: 'the browser tests',
    packages: ['chromium'],
    skipped: 'the whole browser project (webgl and webgpu in Chromium)',
    present: () => findChromium() !== undefined,
  },
  dawnBackend === 'vulkan'
    ? {
        what: "Mesa's Vulkan drivers",
        purpose: 'webgpu in Node (Dawn, backend=vulkan)',
        packages: ['libvulkan1', 'mesa-vulkan-drivers'],
        skipped: 'webgpu in the node project',
        present: () => hasLibrary('libvulkan.so.1') && hasVulkanIcd(),
      }
    : {
        what: "Mesa's EGL and llvmpipe",
        purpose: 'webgpu in Node (Dawn, backend=opengles)',
        packages: ['libegl1', 'libegl-mesa0', 'libegl-dev', 'libgl1-mesa-dri'],
        skipped: 'webgpu in the node project',
        present: () => hasLibrary('libEGL.so') && hasLibrary('libEGL_mesa.so.0') && hasDriDriver('swrast_dri.so'),
      },
];

const missing = needs.filter((need) => !need.present());
if (missing.length === 0) {
  console.log(`${TAG} ok: ${needs.map((n) => n.what).join(', ')}`);
  process.exit(0);
}

const packages = missing.flatMap((n) => n.packages);
const isRoot = process.getuid?.() === 0;
const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;

if (!isRoot || !hasApt) {
  const why = hasApt ? 'not running as root' : 'no apt-get on this system';
  const lines = missing.map((n) => `  - ${n.what} is missing: ${n.skipped} will be SKIPPED`);
  console.warn(
    [
      `${TAG} WARNING: cannot install system packages (${why}).`,
      ...lines,
      hasApt
        ? `  Install them with: sudo apt-get install -y --no-install-recommends ${packages.join(' ')}`
        : `  Install the equivalents of Debian's ${packages.join(' ')}` +
          (missing.some((n) => n.what === 'chromium') ? ' (or set RECURRENT_CHROMIUM to a Chromium binary)' : ''),
    ].join('\n'),
  );
  process.exit(0);
}

/** Runs apt-get with its output shown; stops the test run if apt fails (mirror down, lock…). */
function apt(args) {
  const result = spawnSync('apt-get', args, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.status !== 0) {
    console.error(
      `${TAG} apt-get ${args.join(' ')} failed (exit ${result.status ?? result.signal}). ` +
        `Fix apt, or run the tests without these backends: npx vitest run`,
    );
    process.exit(1);
  }
}

for (const n of missing) console.log(`${TAG} installing ${n.what} for ${n.purpose}…`);
const started = Date.now();
console.log(`${TAG} apt-get update…`);
apt(['-q', 'update']);
console.log(`${TAG} apt-get install ${packages.join(' ')}…`);
// Wait for a dpkg lock held by another apt instead of failing at once.
apt(['-q', '-y', '-o', 'DPkg::Lock::Timeout=300', 'install', '--no-install-recommends', ...packages]);

// The packages' triggers have rebuilt the linker cache: look again.
libraries = readLibraries();
const stillMissing = needs.filter((need) => !need.present());
if (stillMissing.length > 0) {
  console.error(`${TAG} installed ${packages.join(' ')}, but still missing: ${stillMissing.map((n) => n.what).join(', ')}`);
  process.exit(1);
}
console.log(`${TAG} installed ${packages.join(' ')} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
