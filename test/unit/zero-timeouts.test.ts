import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { loadConfig } from '../../src/config.js';
import { transactionSettings } from '../../src/data-access/database.js';

/**
 * DB_STATEMENT_TIMEOUT_MS=0 and SQLITE_BUSY_TIMEOUT_MS=0 are accepted (neither can lose an
 * acknowledged opt-out: a write that fails is not stored and its caller is told so), and what
 * 0 means is said where operators read the settings.
 */
describe('DB_STATEMENT_TIMEOUT_MS and SQLITE_BUSY_TIMEOUT_MS at 0', () => {
  it('are accepted, and 0 sets no statement_timeout of ours', () => {
    const config = loadConfig({ DB_STATEMENT_TIMEOUT_MS: '0', SQLITE_BUSY_TIMEOUT_MS: '0' });
    expect(config.dbStatementTimeoutMs).to.equal(0);
    expect(config.sqliteBusyTimeoutMs).to.equal(0);
    const base = {
      databaseUrl: 'postgres://x/y',
      dataDir: '',
      sqliteBusyTimeoutMs: 0,
      dbPoolMax: 1,
    };
    expect(transactionSettings({ ...base, dbStatementTimeoutMs: 0 })).to.deep.equal([]);
    expect(transactionSettings({ ...base, dbStatementTimeoutMs: 15000 })).to.deep.equal([
      'statement_timeout = 15000',
    ]);
  });

  it('say in the README settings table what 0 means', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const row = (name: string) =>
      readme.split('\n').find((l) => l.startsWith(`| \`${name}\` |`)) ?? '';
    expect(row('DB_STATEMENT_TIMEOUT_MS')).to.match(
      /; 0: none of ours \(the role's statement_timeout applies/,
    );
    expect(row('SQLITE_BUSY_TIMEOUT_MS')).to.match(/; 0: not at all \(/);
  });
});
