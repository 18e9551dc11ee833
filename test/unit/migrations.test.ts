import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { migrations } from '../../migrations/index.js';

describe('the migration list', () => {
  it('names every migration file once, in timestamp order', () => {
    const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');
    const files = fs
      .readdirSync(dir)
      .filter((f) => /^\d{14}_.+\.ts$/.test(f))
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
    expect(migrations.map(([name]) => name)).to.deep.equal(files);
  });
});
