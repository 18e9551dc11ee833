/**
 * A DATA_DIR that cannot be made: under a file system that refuses new entries (/proc), or
 * below a file. The start and the commands stop with one line naming DATA_DIR, at once: under
 * /proc node's recursive mkdir never returned (the start spun at full CPU, deaf to SIGTERM).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { cli, embeddedEnv } from './support.js';

describe('a DATA_DIR that cannot be made', function () {
  this.timeout(60000);
  let tmp: string;
  beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'du-dirs-'))));
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('stops serve and the commands with one line naming it, for /proc and below a file', async () => {
    const file = path.join(tmp, 'a-file');
    fs.writeFileSync(file, 'x');
    const dirs = [path.join(file, 'data')];
    if (fs.existsSync('/proc/self')) dirs.push('/proc/no-such-dir/data');
    for (const dataDir of dirs)
      for (const command of ['serve', 'verify', 'migrate']) {
        const r = await cli([command], embeddedEnv(dataDir));
        const what = `${command} with DATA_DIR=${dataDir}`;
        expect(r.code, what).to.equal(1);
        expect(r.stderr, what).to.match(/^Configuration error: DATA_DIR: [^\n]*\n$/);
        expect(r.stderr, what).to.include(dataDir);
      }
  });
});
