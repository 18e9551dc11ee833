import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { productionNodeFlags } from '../support/service-process.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('npm start', () => {
  // The benchmark runs the service with these flags too; the runbook says why they are there.
  it('runs the built service with the node flags the runbook documents', () => {
    const flags = productionNodeFlags();
    expect(flags).to.deep.equal(['--max-semi-space-size=8']);
    const runbook = fs.readFileSync(path.join(ROOT, 'docs', 'operations.md'), 'utf8');
    for (const f of flags) expect(runbook).to.contain(`\`${f}\``);
  });
});
