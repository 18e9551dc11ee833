import { expect } from 'chai';
import { parseCookies, serializeCookie } from '../../src/admin/cookies.js';
import { escapeHtml, html, raw } from '../../src/admin/html.js';
import { LoginThrottle } from '../../src/limits/login-throttle.js';
import { searchKeys } from '../../src/admin/people-search.js';

describe('admin building blocks', () => {
  describe('html template', () => {
    it('escapes every interpolated value, in text and in quoted attributes', () => {
      const evil = `"><script>alert('x')</script>&`;
      expect(html`<p title="${evil}">${evil}</p>`.value).to.equal(
        '<p title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;">' +
          '&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;</p>',
      );
      expect(escapeHtml(`<&>"'`)).to.equal('&lt;&amp;&gt;&quot;&#39;');
    });

    it('keeps nested templates and raw constants, joins arrays, drops null and undefined', () => {
      const items = ['<a>', 'b'].map((x) => html`<li>${x}</li>`);
      // prettier-ignore
      const page = html`<ul>${items}</ul>${null}${undefined}${raw('<br>')}${0}`;
      expect(page.value).to.equal('<ul><li>&lt;a&gt;</li><li>b</li></ul><br>0');
    });
  });

  describe('cookies', () => {
    it('parses a Cookie header, first value wins, bad encodings kept', () => {
      const c = parseCookies('a=1; b="two"; a=3; c=%E0%A4%A; d=x%20y; junk');
      expect([...c]).to.deep.equal([
        ['a', '1'],
        ['b', 'two'],
        ['c', '%E0%A4%A'],
        ['d', 'x y'],
      ]);
      expect(parseCookies(undefined).size).to.equal(0);
    });

    it('always writes HttpOnly and SameSite, Secure only when asked', () => {
      const plain = serializeCookie('s', 'v', { path: '/admin', secure: false, sameSite: 'Lax' });
      expect(plain).to.equal('s=v; Path=/admin; HttpOnly; SameSite=Lax');
      const secure = serializeCookie('s', '', {
        path: '/admin',
        secure: true,
        sameSite: 'Strict',
        maxAge: 0,
      });
      expect(secure).to.equal('s=; Path=/admin; HttpOnly; SameSite=Strict; Secure; Max-Age=0');
    });
  });

  describe('login throttle', () => {
    it('refuses a client after maxFailures in the window, until the oldest failure ages out', () => {
      let now = 1_000_000;
      const throttle = new LoginThrottle({ maxFailures: 3, windowMs: 60_000, now: () => now });
      throttle.fail('a');
      now += 10_000;
      throttle.fail('a');
      expect(throttle.retryAfterSeconds('a')).to.equal(0);
      throttle.fail('a');
      expect(throttle.retryAfterSeconds('a')).to.equal(50);
      expect(throttle.retryAfterSeconds('b')).to.equal(0);
      now += 50_001;
      expect(throttle.retryAfterSeconds('a')).to.equal(0);
      throttle.fail('a');
      expect(throttle.retryAfterSeconds('a')).to.be.greaterThan(0);
      throttle.succeed('a');
      expect(throttle.retryAfterSeconds('a')).to.equal(0);
    });

    it('counts an admitted attempt before its password is checked', () => {
      const throttle = new LoginThrottle({ maxFailures: 3, windowMs: 60_000 });
      // Three attempts in flight at once: the fourth is refused before any of them is answered.
      expect([1, 2, 3].map(() => throttle.admit('a', null))).to.deep.equal([0, 0, 0]);
      expect(throttle.admit('a', null)).to.be.greaterThan(0);
      // A success takes back its own attempt, not the others': one more may be tried, not three.
      throttle.succeed('a');
      expect(throttle.admit('a', null)).to.equal(0);
      expect(throttle.admit('a', null)).to.be.greaterThan(0);
    });

    it('backs an account off exponentially after its free failures, from any address', () => {
      let now = 1_000_000;
      const throttle = new LoginThrottle({
        maxFailures: 1000,
        windowMs: 60_000,
        now: () => now,
        accountFreeFailures: 2,
        accountMaxBackoffMs: 4000,
      });
      expect(throttle.admit('a', 'Alice')).to.equal(0);
      expect(throttle.admit('b', 'alice')).to.equal(0);
      expect(throttle.admit('c', 'alice')).to.equal(1);
      expect(throttle.admit('c', 'bob')).to.equal(0);
      now += 1000;
      expect(throttle.admit('c', 'alice')).to.equal(0);
      expect(throttle.admit('d', 'alice')).to.equal(2);
      now += 2000;
      expect(throttle.admit('d', 'alice')).to.equal(0);
      now += 3999;
      expect(throttle.admit('e', 'alice')).to.equal(1);
      now += 1;
      expect(throttle.admit('e', 'alice')).to.equal(0);
      // Capped at accountMaxBackoffMs.
      now += 4000;
      expect(throttle.admit('e', 'alice')).to.equal(0);
      expect(throttle.accountRetryAfterSeconds('alice')).to.equal(4);
      // Names are case-sensitive: ALICE logging in is another operator, whose success leaves
      // the guesses at alice counted (before, it cleared them: whoever held ALICE's password
      // could wipe alice's wait between guesses). alice's own success clears what was
      // guessed at her name; the guess at Alice stays, too few for a wait.
      throttle.succeed('e', 'ALICE');
      expect(throttle.accountRetryAfterSeconds('alice')).to.equal(4);
      throttle.succeed('e', 'alice');
      expect(throttle.accountRetryAfterSeconds('alice')).to.equal(0);
      expect(throttle.admit('e', 'Alice')).to.equal(0);
      expect(throttle.admit('e', 'Alice'), 'past the free failures, Alice’s kept').to.equal(1);
      // A name no operator can have is no account.
      for (let i = 0; i < 5; i++) expect(throttle.admit('f', null)).to.equal(0);
    });

    it('keeps an account that backs off when made-up names fill its memory', () => {
      let now = 1_000_000;
      const throttle = new LoginThrottle({
        maxFailures: 1_000_000,
        windowMs: 60_000,
        now: () => now,
        maxTracked: 100,
        accountFreeFailures: 2,
      });
      for (let i = 0; i < 3; i++) throttle.admit('a', 'alice');
      expect(throttle.accountRetryAfterSeconds('alice')).to.equal(1);
      // Before: 100 sprayed names pushed alice out, her wait gone.
      for (let i = 0; i < 300; i++) expect(throttle.admit('b', `made-up-${i}`)).to.equal(0);
      expect(throttle.accountRetryAfterSeconds('alice')).to.equal(1);
      // Her count too, once her wait is over: the next failure still waits longer.
      now += 1000;
      for (let i = 300; i < 600; i++) throttle.admit('b', `made-up-${i}`);
      expect(throttle.admit('a', 'alice')).to.equal(0);
      expect(throttle.accountRetryAfterSeconds('alice')).to.equal(2);
    });

    it('refuses a new name while every remembered account backs off, memory still bounded', () => {
      let now = 1_000_000;
      const throttle = new LoginThrottle({
        maxFailures: 1_000_000,
        windowMs: 60_000,
        now: () => now,
        maxTracked: 3,
        accountFreeFailures: 1,
      });
      for (const name of ['a1', 'a2', 'a3']) throttle.admit('x', name);
      expect(throttle.trackedAccounts()).to.equal(3);
      const wait = throttle.admit('x', 'newcomer');
      expect(wait, 'the new name waits').to.be.greaterThan(0);
      expect(throttle.trackedAccounts()).to.equal(3);
      expect(throttle.admit('x', 'a1'), 'a remembered account still backs off').to.be.greaterThan(
        0,
      );
      // Once a wait is over, that account makes room.
      now += 1000;
      expect(throttle.admit('x', 'newcomer')).to.equal(0);
      expect(throttle.trackedAccounts()).to.equal(3);
      expect(throttle.accountRetryAfterSeconds('newcomer')).to.equal(1);
    });

    it('forgets the oldest clients beyond maxTracked', () => {
      const throttle = new LoginThrottle({ maxFailures: 1, windowMs: 60_000, maxTracked: 2 });
      for (const client of ['a', 'b', 'c']) throttle.fail(client);
      expect(throttle.retryAfterSeconds('a')).to.equal(0);
      expect(throttle.retryAfterSeconds('c')).to.be.greaterThan(0);
    });
  });

  describe('search box', () => {
    it('reads an address as an email, a number as id and foreign id, anything else as foreign id', () => {
      expect(searchKeys(' Ann@Example.com ')).to.deep.equal([
        { keyType: 'EMAIL', keyValue: 'Ann@Example.com' },
      ]);
      expect(searchKeys('42')).to.deep.equal([
        { keyType: 'IDNUM', keyValue: '42' },
        { keyType: 'SFDCLEADID', keyValue: '42' },
      ]);
      expect(searchKeys('99999999999')).to.deep.equal([
        { keyType: 'SFDCLEADID', keyValue: '99999999999' },
      ]);
      expect(searchKeys('CRM-7')).to.deep.equal([{ keyType: 'SFDCLEADID', keyValue: 'CRM-7' }]);
      expect(searchKeys('  ')).to.deep.equal([]);
    });
  });
});
