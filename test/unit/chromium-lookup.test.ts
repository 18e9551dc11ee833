import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { chromiumOrSkip, findChromium } from '../support/chromium.js';

describe('finding Chromium for the browser tests', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'du-chromium-lookup-'));
  const fake = path.join(dir, 'chrome');
  fs.writeFileSync(fake, '');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const skipped = {
    skip: (): never => {
      throw new Error('skipped');
    },
  };

  it('takes CHROMIUM_PATH first, and refuses one that does not exist', () => {
    expect(findChromium({ CHROMIUM_PATH: fake }, [])).to.equal(fake);
    expect(() => findChromium({ CHROMIUM_PATH: path.join(dir, 'nope') }, [])).to.throw(
      /CHROMIUM_PATH=.*does not exist/,
    );
  });

  it('else the first usual location that exists', () => {
    expect(findChromium({}, [path.join(dir, 'missing'), fake])).to.equal(fake);
    expect(findChromium({}, [path.join(dir, 'missing')])).to.equal(null);
  });

  it('skips with a reason on a developer machine, fails under CI=true', () => {
    const shown: string[] = [];
    expect(() => chromiumOrSkip(skipped, {}, [], (l) => shown.push(l))).to.throw('skipped');
    expect(shown.join('')).to.contain('no Chromium found (set CHROMIUM_PATH');
    expect(() => chromiumOrSkip(skipped, { CI: 'true' }, [])).to.throw(/no Chromium found/);
    expect(chromiumOrSkip(skipped, { CI: 'true' }, [fake])).to.equal(fake);
  });
});
