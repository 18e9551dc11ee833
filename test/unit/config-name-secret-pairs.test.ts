import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/config.js';

const SECRET = 'a-link-secret-of-32-characters-or-more';

/** ADMIN_USERS and UNSUBSCRIBE_LINK_OLD_KEYS: comma-separated name:secret pairs. */
describe('settings of name:secret pairs', () => {
  it('reads ADMIN_USERS: each pair split at its first colon, both sides trimmed', () => {
    const config = loadConfig({
      ADMIN_USERS: ' alice : correct horse battery ,bob@x.org:pass:word:1234',
    });
    expect(config.adminUsers).to.deep.equal([
      { name: 'alice', password: 'correct horse battery' },
      { name: 'bob@x.org', password: 'pass:word:1234' },
    ]);
    expect(loadConfig({ ADMIN_USERS: ' ' }).adminUsers).to.deep.equal([]);
  });

  it('refuses an ADMIN_USERS pair without a colon or a name, with a bad name or a short password', () => {
    for (const value of [
      'alice',
      ':correct horse battery',
      'al ice:correct horse battery',
      `${'a'.repeat(65)}:correct horse battery`,
      'alice:short',
      'alice:correct horse battery,',
    ])
      expect(() => loadConfig({ ADMIN_USERS: value }), value).to.throw(
        ConfigError,
        /^ADMIN_USERS must be comma-separated name:password pairs \(name: 1-64 of/,
      );
  });

  it('reads UNSUBSCRIBE_LINK_OLD_KEYS the same way, and refuses what is no keyId:secret pair', () => {
    expect(
      loadConfig({ UNSUBSCRIBE_LINK_OLD_KEYS: ` k0 : ${SECRET} ,k_-9:${SECRET}:x` })
        .unsubscribeLinkOldKeys,
    ).to.deep.equal([
      { id: 'k0', secret: SECRET },
      { id: 'k_-9', secret: `${SECRET}:x` },
    ]);
    for (const value of [
      'k0',
      `:${SECRET}`,
      `k.0:${SECRET}`,
      `${'k'.repeat(17)}:${SECRET}`,
      'k0:short',
    ])
      expect(() => loadConfig({ UNSUBSCRIBE_LINK_OLD_KEYS: value }), value).to.throw(
        ConfigError,
        /^UNSUBSCRIBE_LINK_OLD_KEYS must be comma-separated keyId:secret pairs \(id: 1 to 16/,
      );
  });
});
