import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { settings } from '../../src/config.js';

const README = fs.readFileSync(
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../README.md'),
  'utf8',
);

describe('the README', () => {
  it('documents every setting with its default', () => {
    for (const s of Object.values(settings)) {
      const def = s.default === '' ? '(empty)' : `\`${s.default}\``;
      expect(README, s.env).to.contain(`| \`${s.env}\` | ${def} |`);
    }
  });

  it('gives the two commands', () => {
    expect(README).to.contain('npm ci && npm start');
    expect(README).to.contain('npm ci && npm test');
  });
});
