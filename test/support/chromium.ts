import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Chromium's flags for the browser tests: no sandbox or GPU, nothing fetched in the background. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Where Chromium usually is: Debian/Ubuntu packages, Google's builds, snap, Playwright's cache. */
export function usualChromiumPaths(): string[] {
  const fixed = [
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
    '/usr/bin/google-chrome-stable',
    '/snap/bin/chromium',
    '/Applications/Chromium.app/Contents/MacOS/Chromium',
    '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  ];
  const cache = path.join(os.homedir(), '.cache', 'ms-playwright');
  let cached: string[] = [];
  try {
    cached = fs
      .readdirSync(cache)
      .filter((d) => d.startsWith('chromium'))
      .sort()
      .reverse()
      .flatMap((d) => [
        path.join(cache, d, 'chrome-linux', 'chrome'),
        path.join(cache, d, 'chrome-linux64', 'chrome'),
      ]);
  } catch {
    // no Playwright cache
  }
  return [...fixed, ...cached];
}

/**
 * The Chromium the browser tests drive: CHROMIUM_PATH when set (it must exist), else the first
 * usual location that exists; null when there is none.
 */
export function findChromium(
  env: NodeJS.ProcessEnv = process.env,
  usual: readonly string[] = usualChromiumPaths(),
): string | null {
  const given = env.CHROMIUM_PATH?.trim();
  if (given) {
    if (!fs.existsSync(given)) throw new Error(`CHROMIUM_PATH=${given} does not exist`);
    return given;
  }
  return usual.find((c) => fs.existsSync(c)) ?? null;
}

/**
 * For a suite's before(): the browser's path, or a skip with the reason shown. Under CI=true a
 * missing browser fails instead: CI installs it (.ci/run), so its absence is a broken setup.
 */
export function chromiumOrSkip(
  context: Pick<Mocha.Context, 'skip'>,
  env: NodeJS.ProcessEnv = process.env,
  usual?: readonly string[],
  log: (line: string) => void = console.log,
): string {
  const found = findChromium(env, usual);
  if (found) return found;
  const why =
    'no Chromium found (set CHROMIUM_PATH, or apt-get install chromium): browser tests skipped';
  if (env.CI === 'true') throw new Error(why.replace(': browser tests skipped', ''));
  log(`      (skipped: ${why})`);
  context.skip();
}
