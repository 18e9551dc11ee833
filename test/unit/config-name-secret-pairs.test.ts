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

  it('refuses an ADMIN_USERS password holding a control character, in one line naming the operator, never the password', () => {
    for (const password of [
      'correct horse\tbattery',
      'correct\u0000horse battery',
      'correct horse\u001b[0m battery',
      'correct horse\u007fbattery',
      'correct horse\u0085battery',
      'correct\nhorse battery',
    ]) {
      let message = '';
      try {
        loadConfig({ ADMIN_USERS: `bob:a long enough password,alice:${password}` });
      } catch (error) {
        expect(error).to.be.instanceOf(ConfigError);
        message = (error as Error).message;
      }
      expect(message, JSON.stringify(password)).to.match(
        /^ADMIN_USERS: the password of alice holds a control character .*, which the login page cannot take$/,
      );
      expect(message).to.not.include('correct');
      expect(message).to.not.include('\n');
    }
    // Longer than any login may send: refused too.
    expect(() => loadConfig({ ADMIN_USERS: `alice:${'p'.repeat(1025)}` })).to.throw(
      ConfigError,
      /^ADMIN_USERS must be comma-separated name:password pairs/,
    );
    expect(loadConfig({ ADMIN_USERS: `alice:${'p'.repeat(1024)}` }).adminUsers).to.have.length(1);
  });

  it('reads ADMIN_SESSION_IDLE_MINUTES (30 by default) and refuses what is no number of minutes', () => {
    expect(loadConfig({}).adminSessionIdleMinutes).to.equal(30);
    expect(loadConfig({ ADMIN_SESSION_IDLE_MINUTES: '5' }).adminSessionIdleMinutes).to.equal(5);
    for (const value of ['0', '-1', '43201', 'ten', '1.5'])
      expect(() => loadConfig({ ADMIN_SESSION_IDLE_MINUTES: value }), value).to.throw(
        ConfigError,
        /^ADMIN_SESSION_IDLE_MINUTES must be /,
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
