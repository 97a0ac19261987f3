/**
 * How the project starts Debian's Chromium (never a browser downloaded by playwright): headless
 * (playwright adds the flag), with WebGPU enabled on whatever adapter the machine has — on a
 * machine without a GPU that is SwiftShader — and without the background networking that a
 * machine with no internet access would only see refused.
 */
export const CHROMIUM_PATH = process.env.RECURRENT_CHROMIUM ?? '/usr/bin/chromium';

/** @returns {import('playwright-core').LaunchOptions} */
export function chromiumLaunchOptions() {
  return {
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--enable-unsafe-webgpu',
      '--enable-unsafe-swiftshader',
      '--ignore-gpu-blocklist',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  };
}
