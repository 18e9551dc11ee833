import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { BIN, cli, embeddedEnv, ROOT } from './support.js';

/** `serve`, killed if it is still running after 30 s (a start that was not refused). */
function serve(env: Record<string, string>): { code: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'serve'], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    encoding: 'utf8',
    timeout: 30000,
    killSignal: 'SIGKILL',
  });
  return { code: r.status, stderr: r.stderr };
}

/** UNSUBSCRIBE_SENDER_NAME is shown whole on the unsubscribe page, or refused at start. */
describe('UNSUBSCRIBE_SENDER_NAME refused at start, not cut', function () {
  this.timeout(60000);
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'du-sender-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a name over 100 characters stops serve in one line naming the setting, nothing created', async () => {
    const dataDir = path.join(dir, 'data');
    const name = `Acme ${'x'.repeat(96)}`; // 101 characters
    const r = serve(embeddedEnv(dataDir, { UNSUBSCRIBE_SENDER_NAME: name }));
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stderr).to.equal(
      'Configuration error: UNSUBSCRIBE_SENDER_NAME has 101 characters: the unsubscribe page shows 100 at most\n',
    );
    expect(fs.existsSync(dataDir)).to.equal(false);
    const shown = await cli(['config'], embeddedEnv(dataDir, { UNSUBSCRIBE_SENDER_NAME: name }));
    expect(shown.code).to.equal(1);
    expect(shown.stdout).to.match(
      /^UNSUBSCRIBE_SENDER_NAME .*INVALID: UNSUBSCRIBE_SENDER_NAME has 101 characters/m,
    );
  });

  it('100 characters (letters beyond ASCII counted as one each) are taken whole; a control character is refused', async () => {
    const name = `Société ${'é'.repeat(92)}`; // 100 characters, more UTF-16 units than that
    const ok = await cli(
      ['config'],
      embeddedEnv(path.join(dir, 'data'), { UNSUBSCRIBE_SENDER_NAME: name }),
    );
    expect(ok.code, ok.stdout).to.equal(0);
    expect(ok.stdout).to.contain(`"${name}"`);
    const bell = await cli(
      ['config'],
      embeddedEnv(path.join(dir, 'data'), { UNSUBSCRIBE_SENDER_NAME: 'Acme\u0007' }),
    );
    expect(bell.code).to.equal(1);
    expect(bell.stdout).to.contain('INVALID: UNSUBSCRIBE_SENDER_NAME holds a control character');
  });
});
