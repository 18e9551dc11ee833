/**
 * A HOST (or METRICS_HOST) the service cannot listen on (a typo, a name that does not resolve,
 * an address of another machine) stops the start in one line naming that setting, exit 1,
 * never a stack trace; nothing is created.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { BIN, cli } from './support.js';

describe('serve with a HOST it cannot listen on', function () {
  this.timeout(60000);
  let tmp: string;
  before(() => {
    if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'du-host-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  // 192.0.2.1 (TEST-NET-1) is on no interface here: bind only, nothing is sent to it. Before:
  // "address 192.0.2.1 is not on this machine (set HOST)", a line of another form than the
  // documented one (and than METRICS_HOST's for the same mistake).
  for (const [host, code] of [
    ['nosuchhost.invalid', 'ENOTFOUND'],
    ['999.1.1.1', 'ENOTFOUND'],
    ['192.0.2.1', 'EADDRNOTAVAIL'],
  ] as const) {
    it(`HOST=${host}: one line naming HOST, exit 1, nothing created`, async () => {
      const dataDir = path.join(tmp, `never-${host}`);
      const r = await cli(['serve'], {
        HOST: host,
        PORT: '0',
        METRICS_PORT: 'off',
        DATABASE_URL: '',
        DATA_DIR: dataDir,
      });
      expect(r.code, r.stderr).to.equal(1);
      expect(r.stderr).to.equal(
        `Configuration error: HOST: cannot listen on ${host}: it is not an address or a name of this machine (${code})\n`,
      );
      expect(fs.existsSync(dataDir)).to.equal(false);
    });
  }

  for (const [host, code] of [
    ['nosuchhost.invalid', 'ENOTFOUND'],
    ['192.0.2.1', 'EADDRNOTAVAIL'],
  ] as const) {
    it(`METRICS_HOST=${host}: one line naming METRICS_HOST (not METRICS_PORT), exit 1, nothing created`, async () => {
      // Before: "METRICS_PORT: cannot listen on …; choose another METRICS_PORT", which fails the same.
      const dataDir = path.join(tmp, `never-metrics-${host}`);
      const r = await cli(['serve'], {
        HOST: '127.0.0.1',
        PORT: '0',
        METRICS_HOST: host,
        METRICS_PORT: '0',
        DATABASE_URL: '',
        DATA_DIR: dataDir,
      });
      expect(r.code, r.stderr).to.equal(1);
      expect(r.stderr).to.equal(
        `Configuration error: METRICS_HOST: cannot listen on ${host}: it is not an address or a name of this machine (${code}); set METRICS_HOST (default 127.0.0.1), or METRICS_PORT=off\n`,
      );
      expect(fs.existsSync(dataDir)).to.equal(false);
    });
  }
});
