/**
 * UNSUBSCRIBE_BASE_URL on plain http, at a host other than this machine: links that mailbox
 * providers will not use for one-click (RFC 8058), whose tokens travel unencrypted. Accepted
 * (a test relay may need it), but said: one warning line from every command, one JSON
 * warning from serve; nothing for https, nor for http://localhost while trying it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { spawnService } from '../support/service-process.js';
import { BIN, cli } from './support.js';

const WARNING = /UNSUBSCRIBE_BASE_URL is http:\/\/, not https:\/\//;

describe('UNSUBSCRIBE_BASE_URL on plain http', function () {
  this.timeout(60000);
  let tmp: string;
  before(() => {
    if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'du-base-url-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('config and link warn once for another host, never for https or this machine', async () => {
    const env = (base: string) => ({ DATABASE_URL: '', DATA_DIR: tmp, UNSUBSCRIBE_BASE_URL: base });
    const shown = await cli(['config'], env('http://unsub.example.com'));
    expect(shown.code, shown.stderr).to.equal(0);
    const lines = shown.stderr.trim().split('\n');
    expect(lines, shown.stderr).to.have.length(1);
    expect(lines[0])
      .to.match(/^warning: /)
      .and.match(WARNING);
    const link = await cli(['link', 'ann@example.com'], env('http://unsub.example.com'));
    expect(link.code, link.stderr).to.equal(0);
    expect(link.stdout).to.match(/^http:\/\/unsub\.example\.com\/u\//);
    expect(link.stderr.trim().split('\n'), link.stderr).to.have.length(1);
    expect(link.stderr).to.match(WARNING);
    for (const base of [
      'https://unsub.example.com',
      'http://localhost:8080',
      'http://127.0.0.1:8080',
      'http://[::1]:8080',
    ]) {
      const quiet = await cli(['config'], env(base));
      expect(quiet.stderr, base).to.equal('');
    }
  });

  it('the same for a plain http PUBLIC_URL that links fall back on, and only then', async () => {
    const env = (more: Record<string, string>) => ({ DATABASE_URL: '', DATA_DIR: tmp, ...more });
    const FALLBACK = /PUBLIC_URL is http:\/\/, not https:\/\/ \(unsubscribe links are built on it/;
    const fallback = env({ PUBLIC_URL: 'http://soap.example.com' });
    const shown = await cli(['config'], fallback);
    expect(shown.code, shown.stderr).to.equal(0);
    const lines = shown.stderr.trim().split('\n');
    expect(lines, shown.stderr).to.have.length(1);
    expect(lines[0])
      .to.match(/^warning: /)
      .and.match(FALLBACK);
    const link = await cli(['link', 'ann@example.com'], fallback);
    expect(link.code, link.stderr).to.equal(0);
    expect(link.stdout).to.match(/^http:\/\/soap\.example\.com\/u\//);
    expect(link.stderr.trim().split('\n'), link.stderr).to.have.length(1);
    expect(link.stderr).to.match(FALLBACK);
    const quietCases: Array<Record<string, string>> = [
      { PUBLIC_URL: 'http://soap.example.com', UNSUBSCRIBE_BASE_URL: 'https://u.example.com' },
      { PUBLIC_URL: 'https://soap.example.com' },
      { PUBLIC_URL: 'http://localhost:8080' },
      // PostgreSQL without UNSUBSCRIBE_LINK_SECRET: links are off, none is built on it.
      { PUBLIC_URL: 'http://soap.example.com', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/x' },
    ];
    for (const more of quietCases) {
      const quiet = await cli(['config'], env(more));
      expect(quiet.stderr, JSON.stringify(more)).to.equal('');
    }
  });

  it('serve logs it once as a JSON warning and starts', async () => {
    const service = await spawnService(
      { DATABASE_URL: '', DATA_DIR: tmp, UNSUBSCRIBE_BASE_URL: 'http://unsub.example.com' },
      { built: true },
    );
    try {
      const lines = service
        .output()
        .split('\n')
        .filter((l) => WARNING.test(l));
      expect(lines, service.output()).to.have.length(1);
      const entry = JSON.parse(lines[0]!) as { level: number };
      expect(entry.level).to.equal(40);
    } finally {
      await service.stop();
    }
  });
});
