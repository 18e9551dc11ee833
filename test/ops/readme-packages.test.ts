/**
 * The Debian packages the README tells a newcomer to install are those `.ci/run` installs: the
 * README had lost three of them (python3-cryptography, pgbouncer, haproxy), so a newcomer's
 * `npm test` skipped or failed tests that CI ran.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { ROOT } from './support.js';

/** The words of `.ci/run`'s apt_packages=( … ) array. */
function ciPackages(script: string): string[] {
  const m = /^apt_packages=\(([^)]*)\)/m.exec(script);
  if (!m) throw new Error('.ci/run: no apt_packages=( … ) array');
  return m[1]!.split(/\s+/).filter((p) => p !== '');
}

/** The backquoted list after the README's "It uses these Debian packages:". */
function readmePackages(readme: string): string[] {
  const m = /It uses these Debian packages: `([^`]*)`/.exec(readme);
  if (!m) throw new Error('README.md: no "It uses these Debian packages: `…`" list');
  return m[1]!.split(/\s+/).filter((p) => p !== '');
}

describe('the Debian packages of the README', () => {
  it('are the ones .ci/run installs, no more and no fewer', () => {
    const ci = ciPackages(fs.readFileSync(path.join(ROOT, '.ci/run'), 'utf8'));
    const readme = readmePackages(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
    expect(ci).to.have.length.above(0);
    expect([...readme].sort()).to.deep.equal([...ci].sort());
    expect(new Set(readme).size, 'each named once').to.equal(readme.length);
  });

  it('a drift either way is seen', () => {
    const ci = ciPackages('apt_packages=(php-cli haproxy)\n');
    expect(readmePackages('It uses these Debian packages: `php-cli\n  haproxy`')).to.have.members(
      ci,
    );
    expect(readmePackages('It uses these Debian packages: `php-cli`')).to.not.have.members(ci);
  });
});
