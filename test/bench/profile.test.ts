/**
 * bench/profile.ts starts the service under V8's profiler on each engine: PostgreSQL refuses to
 * start without a key secret, which the profiled service must be given as the benchmark's is.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { spawnProfiled } from '../../bench/profile.js';
import { testEngines } from '../support/database.js';
import { freshServiceDatabase } from '../support/service-process.js';

describe('bench/profile.ts', function () {
  // Starting through the tsx loader on a loaded machine.
  this.timeout(120000);

  for (const engine of testEngines())
    it(`starts the profiled service on ${engine.name}`, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'du-prof-test-'));
      const db = await freshServiceDatabase(engine);
      try {
        const service = await spawnProfiled({ ...db.env, WORKERS: '1' }, dir);
        try {
          const res = await fetch(`${service.base}/healthz`);
          await res.arrayBuffer();
          expect(res.status).to.equal(200);
        } finally {
          await service.stop();
        }
      } finally {
        await db.drop();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
});
