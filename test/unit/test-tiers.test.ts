import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

/**
 * `npm run test:fast` is the in-process tier (README, "Tests"): no browser and no other
 * toolkit, which the slow tier (`npm test`, CI=true) needs installed. A suite that uses one
 * belongs there, listed among the fast tier's --ignore's when it lives in one of its folders.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const scripts = (
  JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  }
).scripts;

/** The test files `npm run test:fast` runs. */
function fastTierFiles(): string[] {
  const script = scripts['test:fast']!;
  const folders = [...script.matchAll(/'test\/([\w-]+)\/\*\*\/\*\.test\.ts'/g)].map((m) => m[1]!);
  const ignored = new Set([...script.matchAll(/--ignore (\S+)/g)].map((m) => m[1]!));
  return folders
    .flatMap((folder) =>
      fs
        .readdirSync(path.join(ROOT, 'test', folder), { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.test.ts'))
        .map((file) => `test/${folder}/${file}`),
    )
    .filter((file) => !ignored.has(file));
}

describe('the test tiers', () => {
  const files = fastTierFiles();
  /** The fast tier's files (but this one, which names the patterns) whose text matches. */
  const using = (pattern: RegExp) =>
    files
      .filter((file) => file !== 'test/unit/test-tiers.test.ts')
      .filter((file) => pattern.test(fs.readFileSync(path.join(ROOT, file), 'utf8')));

  it('the fast tier runs the in-process folders', () => {
    expect(files).to.include('test/unit/test-tiers.test.ts');
    expect(files.length).to.be.above(100);
  });

  it('the fast tier runs no browser test', () => {
    // test/unit/chromium-lookup.test.ts tests the lookup with a fake browser: not one of them.
    expect(using(/chromiumOrSkip\(this\b|from '\.\/browser-support\.js'/)).to.deep.equal([]);
  });

  it('the fast tier runs no test of an installed toolkit (interop clients, wsimport, gSOAP)', () => {
    expect(using(/toolkitOrSkip\(|wsimport\.sh|'soapcpp2'/)).to.deep.equal([]);
  });
});
