/**
 * `migrate rollback` on the embedded database while the service serves it: the service would
 * go on serving on a schema its code does not know (the tables it writes dropped under it). It
 * is refused, as restore is, naming the process; nothing is rolled back and no copy is taken.
 * (PostgreSQL has no such check: a rollback there is run while instances of the previous
 * version serve, docs/operations.md#upgrading.)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { claimDataDir } from '../../src/data-access/data-dir-claim.js';
import { BIN, cli, serveAtInfo, type Spawned } from './support.js';

describe('migrate rollback while the service serves the SQLite file', function () {
  this.timeout(90000);
  let tmp: string;
  let run: Spawned | undefined;
  before(() => {
    if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'du-rollback-serving-'));
  });
  afterEach(async () => {
    if (run && run.child.exitCode === null && run.child.signalCode === null) {
      run.child.kill('SIGTERM');
      await run.exited;
    }
    run = undefined;
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('is refused in one line naming the process; nothing rolled back, no copy taken; once stopped it runs', async () => {
    const dataDir = path.join(tmp, 'data');
    const env = { DATABASE_URL: '', DATA_DIR: dataDir };
    const added = await cli(['suppressions', 'add', 'ann@example.com', '--reason', 'asked'], env);
    expect(added.code, added.stderr).to.equal(0);
    run = serveAtInfo(env);
    await run.port;

    const refused = await cli(['migrate', 'rollback', '--yes-destroy-data'], env);
    expect(refused.code, refused.stderr).to.equal(1);
    expect(refused.stderr).to.equal(
      `Refused: the database is open in process ${run.child.pid}: stop the service (and any command using it) first; nothing rolled back\n`,
    );
    expect(refused.stdout).to.equal('');
    expect(fs.readdirSync(dataDir).filter((f) => f.startsWith('before-rollback-'))).to.deep.equal(
      [],
    );
    const status = await cli(['migrate', 'status'], env);
    expect(status.stdout).not.to.match(/^pending /m);
    const exported = await cli(['suppressions', 'export'], env);
    expect(exported.stdout).to.contain('ann@example.com,true,asked');

    run.child.kill('SIGTERM');
    expect((await run.exited).code).to.equal(0);
    const rolled = await cli(['migrate', 'rollback', '--yes-destroy-data'], env);
    expect(rolled.code, rolled.stderr).to.equal(0);
    expect(rolled.stdout).to.match(/^Rolled back: /m);
  });

  it('is refused where no process can be seen holding the file, by the instance claim (another container, another user, a symbolic link)', async () => {
    // The database reached through a symbolic link, and served by a process that holds only the
    // claim (this one): /proc shows nothing holding the database file, the claim is held.
    const real = path.join(tmp, 'real');
    const linked = path.join(tmp, 'linked');
    const env = { DATABASE_URL: '', DATA_DIR: linked };
    fs.mkdirSync(real);
    fs.symlinkSync(real, linked);
    const added = await cli(['suppressions', 'add', 'bob@example.com', '--reason', 'asked'], env);
    expect(added.code, added.stderr).to.equal(0);
    claimDataDir(real);

    const refused = await cli(['migrate', 'rollback', '--yes-destroy-data'], env);
    expect(refused.code, refused.stderr).to.equal(1);
    expect(refused.stderr).to.equal(
      'Refused: the database is served by an instance (serve.lock is held): stop the service (and any command using it) first; nothing rolled back\n',
    );
    const exported = await cli(['suppressions', 'export'], env);
    expect(exported.stdout).to.contain('bob@example.com,true,asked');
    const restore = await cli(['restore', path.join(real, 'nothing.sqlite')], env);
    expect(restore.code).not.to.equal(0);
  });
});
