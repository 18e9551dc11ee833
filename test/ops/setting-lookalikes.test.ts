/**
 * A variable that looks like a setting but is not one (MAX_BODY_SIZE for MAX_BODY_BYTES) is
 * ignored, so it is said: one warning line from every command, one JSON log line from serve.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { spawnService } from '../support/service-process.js';
import { BIN, cli } from './support.js';

describe('settings that are not settings', function () {
  this.timeout(60000);
  let tmp: string;
  before(() => {
    if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'du-lookalikes-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('a command warns in one line naming the variable and the setting, then does its work', async () => {
    const env = { DATABASE_URL: '', DATA_DIR: tmp, MAX_BODY_SIZE: '10MB' };
    // verify only reads: the database is made first.
    expect((await cli(['migrate'], { DATABASE_URL: '', DATA_DIR: tmp })).code).to.equal(0);
    const r = await cli(['verify'], env);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.equal(
      'warning: MAX_BODY_SIZE is not a setting and is ignored; did you mean MAX_BODY_BYTES? ("durable-unsubscribe config --defaults" lists the settings)\n',
    );
    expect(r.stdout).to.contain('OK: every person');
    const shown = await cli(['config'], env);
    expect(shown.stderr).to.match(/^warning: MAX_BODY_SIZE is not a setting/);
  });

  it('serve logs it once as a JSON warning, without the value, and starts', async () => {
    const service = await spawnService(
      { DATABASE_URL: '', DATA_DIR: tmp, UNSUBSCRIBE_LINK_SECRETS: 'hunter2-very-secret' },
      { built: true },
    );
    try {
      const lines = service
        .output()
        .split('\n')
        .filter((l) => l.includes('UNSUBSCRIBE_LINK_SECRETS'));
      expect(lines, service.output()).to.have.length(1);
      const entry = JSON.parse(lines[0]!) as { level: number; msg: string };
      expect(entry.level).to.equal(40);
      expect(entry.msg).to.match(/did you mean UNSUBSCRIBE_LINK_SECRET\?/);
      expect(service.output()).to.not.contain('hunter2');
    } finally {
      await service.stop();
    }
  });
});
