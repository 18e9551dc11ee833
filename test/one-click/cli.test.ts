import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { start } from '../../src/main.js';
import { LinkTokens } from '../../src/one-click/link-token.js';
import { KEY_1, oneClick } from './support.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'dist/src/cli/index.js');
const ENV = {
  UNSUBSCRIBE_LINK_SECRET: KEY_1.secret,
  UNSUBSCRIBE_LINK_KEY_ID: KEY_1.id,
  UNSUBSCRIBE_BASE_URL: 'https://unsub.example.com/',
  DATA_DIR: ':memory:',
};

function run(
  args: string[],
  env: Record<string, string>,
  input: string | Buffer = '',
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      args,
      { env: { PATH: process.env.PATH ?? '', ...env }, cwd: ROOT },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(input);
  });
}

const tokens = new LinkTokens({ current: KEY_1, retired: [] }, 90 * 86400);
function emailIn(url: string): string | false {
  const opened = tokens.verify(url.slice(url.lastIndexOf('/') + 1));
  return opened.ok && opened.link.email;
}

describe('durable-unsubscribe link and headers', function () {
  // Each test runs the built CLI one to five times (and one pipes it 200 MB): on the shared
  // 2-core machine (load 18) one run took 8-9 s, four of the tests 17-25 s, and the 200 MB
  // one passed 30 s.
  this.timeout(120000);

  it('link prints the signed URL of the address', async () => {
    const r = await run([BIN, 'link', 'Ann@Example.com', '--list', 'news'], ENV);
    expect(r.code, r.stderr).to.equal(0);
    const url = r.stdout.trim();
    expect(url).to.match(/^https:\/\/unsub\.example\.com\/u\/1\.k1\.[A-Za-z0-9_-]+$/);
    expect(emailIn(url)).to.equal('Ann@Example.com');
  });

  it('headers prints the two RFC 8058 lines, ready to paste', async () => {
    const r = await run([BIN, 'headers', 'ann@example.com'], ENV);
    expect(r.code, r.stderr).to.equal(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).to.match(/^List-Unsubscribe: <https:\/\/unsub\.example\.com\/u\/[^>]+>$/);
    expect(lines[1]).to.equal('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(lines.slice(2)).to.deep.equal(['']);
    expect(emailIn(lines[0]!.slice(lines[0]!.indexOf('<') + 1, -1))).to.equal('ann@example.com');
  });

  it('link - turns a list of addresses into CSV for a mail tool that only fills fields', async () => {
    const r = await run(
      [BIN, 'link', '-', '--list', 'news'],
      ENV,
      'ann@example.com\r\n\nnot an address\n"b,c"@example.com\n',
    );
    expect(r.code).to.equal(1);
    expect(r.stderr).to.contain('line 3: Email is not a valid address');
    const [header, ...rows] = r.stdout.trim().split('\n');
    expect(header).to.equal('email,unsubscribe_url');
    expect(rows).to.have.length(2);
    expect(rows[0]!.startsWith('ann@example.com,https://unsub.example.com/u/')).to.equal(true);
    expect(emailIn(rows[0]!.split(',')[1]!)).to.equal('ann@example.com');
    expect(rows[1]!.startsWith('"""b,c""@example.com",https://')).to.equal(true);
    expect(emailIn(rows[1]!.slice(rows[1]!.lastIndexOf(',') + 1))).to.equal('"b,c"@example.com');
  });

  it('link - makes no link of a line that is not UTF-8 (a list saved as Latin-1): reported, exit 1', async () => {
    // Before: "café@" in Windows-1252 was read with U+FFFD, and its link, written beside that
    // mangled address, unsubscribed an address nobody holds (the recipient's own stayed subscribed).
    const input = Buffer.concat([
      Buffer.from('ann@example.com\n'),
      Buffer.from('café@example.com\r\n', 'latin1'),
      Buffer.from('bob@example.com\n'),
    ]);
    const r = await run([BIN, 'link', '-'], ENV, input);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal('line 2: not UTF-8 text (save the list as UTF-8); no link made\n');
    const [, ...rows] = r.stdout.trim().split('\n');
    expect(rows.map((row) => emailIn(row.split(',')[1]!))).to.deep.equal([
      'ann@example.com',
      'bob@example.com',
    ]);
    expect(r.stdout).not.to.contain('\uFFFD');
  });

  it('link - skips a line longer than any address without holding it: memory stays bounded', async () => {
    // 200 MB with no line break, then an address: a reader that kept the whole line would
    // need it in the heap, which this process may not grow past 96 MB.
    const r = await run(
      [BIN, 'link', '-'],
      { ...ENV, NODE_OPTIONS: '--max-old-space-size=96' },
      `${'a'.repeat(200 * 1024 * 1024)}\nann@example.com\n`,
    );
    expect(r.stderr).to.equal('line 1: longer than 4096 bytes, not an address\n');
    expect(r.code).to.equal(1);
    const [header, ...rows] = r.stdout.trim().split('\n');
    expect(header).to.equal('email,unsubscribe_url');
    expect(rows).to.have.length(1);
    expect(emailIn(rows[0]!.split(',')[1]!)).to.equal('ann@example.com');
  });

  it('works out of the box on SQLite: the CLI and the service share the secret made in DATA_DIR', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'du-link-'));
    const running = await start(
      loadConfig({
        DATA_DIR: dir,
        PORT: '0',
        METRICS_PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
      }),
      createLogger('silent'),
    );
    try {
      const r = await run([BIN, 'link', 'own@example.com'], {
        DATA_DIR: dir,
        PORT: String(running.port),
      });
      expect(r.code, r.stderr).to.equal(0);
      const url = r.stdout.trim().replace('localhost', '127.0.0.1');
      expect(url).to.match(new RegExp(`^http://127\\.0\\.0\\.1:${running.port}/u/1\\.k1\\.`));
      const answer = await oneClick(url);
      expect(answer.status).to.equal(200);
      expect(fs.statSync(path.join(dir, 'unsubscribe-link.secret')).mode & 0o077).to.equal(0);
    } finally {
      await running.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says what is missing: the secret, the address, a valid address', async () => {
    const noSecret = await run([BIN, 'link', 'ann@example.com'], { DATA_DIR: ':memory:' });
    expect(noSecret.code).to.equal(1);
    expect(noSecret.stderr).to.contain('UNSUBSCRIBE_LINK_SECRET');
    const noAddress = await run([BIN, 'headers'], ENV);
    expect(noAddress.code).to.equal(2);
    expect(noAddress.stderr).to.contain('Usage: durable-unsubscribe link EMAIL');
    const bad = await run([BIN, 'link', 'not an address'], ENV);
    expect(bad.code).to.equal(2);
    expect(bad.stderr.trim()).to.equal('Email is not a valid address');
    const noBase = await run([BIN, 'link', 'ann@example.com'], {
      ...ENV,
      UNSUBSCRIBE_BASE_URL: '',
      PORT: '9099',
    });
    expect(noBase.stdout).to.match(/^http:\/\/localhost:9099\/u\//);
    expect(noBase.stderr).to.contain('UNSUBSCRIBE_BASE_URL (or PUBLIC_URL) is not set');
    const plain = await run([BIN, 'headers', 'ann@example.com'], {
      ...ENV,
      UNSUBSCRIBE_BASE_URL: 'http://unsub.example.com',
    });
    expect(plain.code).to.equal(0);
    expect(plain.stderr).to.contain('https');
  });

  it('refuses a --list name a token cannot carry in one line, exit 2, before any link or input', async () => {
    // Before: the token's own error and its stack trace, exit 1 (for "link -", after the header).
    for (const args of [
      ['link', 'ann@example.com', '--list', 'news letter'],
      ['headers', 'ann@example.com', '--list', 'n'.repeat(65)],
      ['link', '-', '--list', 'news/2026'],
    ]) {
      const r = await run([BIN, ...args], ENV, 'ann@example.com\n');
      expect(r.code, args.join(' ')).to.equal(2);
      expect(r.stderr).to.equal('--list takes a list name: 1 to 64 of A-Z a-z 0-9 . _ -\n');
      expect(r.stdout).to.equal('');
    }
    const good = await run([BIN, 'link', 'ann@example.com', '--list', 'news.2026_weekly-1'], ENV);
    expect(good.code, good.stderr).to.equal(0);
  });

  it('is listed in the help, and has its own', async () => {
    const top = await run([BIN, '--help'], ENV);
    expect(top.stdout)
      .to.match(/^ {2}link EMAIL/m)
      .and.match(/^ {2}headers EMAIL/m);
    for (const command of ['link', 'headers']) {
      const r = await run([BIN, command, '--help'], ENV);
      expect(r.code, command).to.equal(0);
      expect(r.stdout).to.match(/^Usage: durable-unsubscribe link EMAIL/);
    }
  });

  it('exports the library function as durable-unsubscribe/link', async () => {
    const script = `import { unsubscribeLink } from 'durable-unsubscribe/link';
console.log(unsubscribeLink('lib@example.com', { baseUrl: 'https://u.example', key: ${JSON.stringify(KEY_1)} }));`;
    const r = await run(['--input-type=module', '-e', script], {});
    expect(r.code, r.stderr).to.equal(0);
    expect(emailIn(r.stdout.trim())).to.equal('lib@example.com');
  });
});
