import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/config.js';
import {
  LinkTokens,
  linkTokensFromConfig,
  listUnsubscribeHeaders,
  MAX_TOKEN_LENGTH,
  unsubscribeLink,
} from '../../src/one-click/link-token.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const K1 = { id: 'k1', secret: 'first-secret-0123456789abcdefghijklmn' };
const K2 = { id: 'k2', secret: 'second-secret-0123456789abcdefghijklm' };
const DAY = 86400;
const now = Math.floor(Date.now() / 1000);

function flip(token: string, at: number): string {
  const c = token[at]!;
  return token.slice(0, at) + (c === 'A' ? 'B' : 'A') + token.slice(at + 1);
}

describe('unsubscribe link tokens', () => {
  const tokens = new LinkTokens({ current: K1, retired: [] }, 90 * DAY);

  it('opens what it seals: the address, the list, the date, the key', () => {
    const token = tokens.create('Ann@Example.com', { list: 'news', issuedAt: now });
    const opened = tokens.verify(token);
    expect(opened.ok).to.equal(true);
    if (!opened.ok) return;
    expect(opened.link).to.include({
      email: 'Ann@Example.com',
      list: 'news',
      issuedAt: now,
      keyId: 'k1',
    });
    expect(opened.link.linkId).to.match(/^[0-9a-f]{16}$/);
  });

  it('keeps the address out of the URL, and stays short enough for any address', () => {
    const token = tokens.create('ann.lee@example.com');
    expect(token).to.match(/^1\.k1\.[A-Za-z0-9_-]+$/);
    expect(token.toLowerCase()).not.to.contain('ann');
    expect(token.toLowerCase()).not.to.contain('example');
    const longest = tokens.create(`${'a'.repeat(64)}@${'b'.repeat(185)}.com`, {
      list: 'l'.repeat(64),
    });
    expect(longest.length).to.be.below(MAX_TOKEN_LENGTH);
    expect(tokens.verify(longest).ok).to.equal(true);
    // Of any script: 254 code units of three bytes of UTF-8 each, under the longest key id.
    const longKey = new LinkTokens({ current: { ...K1, id: 'k'.repeat(16) }, retired: [] }, DAY);
    for (const address of [
      `${'名'.repeat(249)}@例.jp`,
      `${'я'.repeat(200)}@${'б'.repeat(50)}.r`,
      `${'😀'.repeat(120)}@${'ü'.repeat(10)}.de`,
    ]) {
      expect(address.length).to.be.at.most(254);
      const sealed = longKey.create(address, { list: 'l'.repeat(64) });
      expect(sealed.length, address).to.be.at.most(MAX_TOKEN_LENGTH);
      const opened = longKey.verify(sealed);
      expect(opened.ok && opened.link.email, address).to.equal(address);
    }
  });

  it('makes no link of an address holding half a surrogate pair, which would open as another', () => {
    // Before: sealed as UTF-8, the lone half became U+FFFD, and the link unsubscribed
    // "ann\uFFFD@example.com", an address nobody holds, in place of the one it was made for.
    for (const email of ['ann\uD83D@example.com', 'ann@exa\uDE00mple.com']) {
      expect(() => tokens.create(email), email).to.throw(/characters on one line/);
      expect(() => unsubscribeLink(email, { baseUrl: 'https://u.example', key: K1 })).to.throw();
    }
    const pair = tokens.verify(tokens.create('ann\uD83D\uDE00@example.com'));
    expect(pair.ok && pair.link.email).to.equal('ann\uD83D\uDE00@example.com');
  });

  it('ends every token it makes with a letter or a digit, which autolinkers keep in the link', () => {
    // Before: one token in 32 ended with '_' or '-' for an address of one length in three (its
    // sealed bytes a multiple of three: the last character carries six bits), which
    // Markdown-style autolinkers leave out of a link as trailing punctuation.
    for (const email of ['ann@example.com', 'anne@example.com', 'annie@example.com']) {
      for (let i = 0; i < 400; i++) {
        const token = tokens.create(email);
        expect(token, token).to.match(/[A-Za-z0-9]$/);
        const opened = tokens.verify(token);
        expect(opened.ok && opened.link.email).to.equal(email);
      }
    }
  });

  it('refuses every single-character alteration of a token', () => {
    const token = tokens.create('ann@example.com', { issuedAt: now });
    for (let i = 0; i < token.length; i++) {
      const verified = tokens.verify(flip(token, i));
      expect(verified.ok, `position ${i}`).to.equal(false);
    }
    // The body's last character carries unused bits: a second spelling of the same bytes is refused.
    const body = token.slice(token.lastIndexOf('.') + 1);
    const bytes = Buffer.from(body, 'base64url');
    if (bytes.length % 3 !== 0) {
      const last = body.at(-1)!;
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const twin = alphabet[alphabet.indexOf(last) ^ 1]!;
      const altered = token.slice(0, -1) + twin;
      if (Buffer.from(altered.slice(altered.lastIndexOf('.') + 1), 'base64url').equals(bytes))
        expect(tokens.verify(altered)).to.deep.equal({ ok: false, reason: 'malformed' });
    }
  });

  it('takes only the one spelling of a token body, whatever its length: every last character tried', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const lengths = new Set<number>();
    for (const email of ['a@b.co', 'ab@b.co', 'abc@b.co']) {
      const token = tokens.create(email, { issuedAt: now });
      const body = token.slice(token.lastIndexOf('.') + 1);
      lengths.add(body.length % 4);
      const bytes = Buffer.from(body, 'base64url');
      for (const c of alphabet) {
        const altered = token.slice(0, -1) + c;
        const alteredBody = body.slice(0, -1) + c;
        const verified = tokens.verify(altered);
        if (c === body.at(-1)) expect(verified.ok).to.equal(true);
        else if (Buffer.from(alteredBody, 'base64url').equals(bytes))
          // A second spelling of the same (authentic) bytes.
          expect(verified, `${email} ${c}`).to.deep.equal({ ok: false, reason: 'malformed' });
        else expect(verified.ok, `${email} ${c}`).to.equal(false);
      }
      // A body with one character more than whole bytes take (length % 4 === 1).
      const dangling = token + 'AAA'.slice(0, (5 - (body.length % 4)) % 4 || 4);
      expect(dangling.slice(dangling.lastIndexOf('.') + 1).length % 4).to.equal(1);
      expect(tokens.verify(dangling)).to.deep.equal({ ok: false, reason: 'malformed' });
    }
    // Bodies of each length that carries spare bits were tried.
    expect([...lengths].sort()).to.include.members([2, 3]);
  });

  it('names why it refuses: forged, unknown key, expired, malformed', () => {
    const forger = new LinkTokens(
      { current: { id: 'k1', secret: 'not-the-secret-0123456789abcdefghijk' }, retired: [] },
      90 * DAY,
    );
    expect(tokens.verify(forger.create('ann@example.com'))).to.deep.equal({
      ok: false,
      reason: 'bad_signature',
    });
    const other = new LinkTokens({ current: K2, retired: [] }, 90 * DAY);
    expect(tokens.verify(other.create('ann@example.com'))).to.deep.equal({
      ok: false,
      reason: 'unknown_key',
    });
    // Changing the key id in the URL breaks the tag, since the id is authenticated.
    const both = new LinkTokens({ current: K1, retired: [K2] }, 90 * DAY);
    const relabelled = tokens.create('ann@example.com').replace(/^1\.k1\./, '1.k2.');
    expect(both.verify(relabelled)).to.deep.equal({ ok: false, reason: 'bad_signature' });
    const old = tokens.create('ann@example.com', { issuedAt: now - 91 * DAY });
    expect(tokens.verify(old)).to.deep.equal({ ok: false, reason: 'expired' });
    expect(tokens.verify(tokens.create('a@b.c', { issuedAt: now - 89 * DAY })).ok).to.equal(true);
    const future = tokens.create('ann@example.com', { issuedAt: now + 3 * DAY });
    expect(tokens.verify(future)).to.deep.equal({ ok: false, reason: 'malformed' });
    for (const bad of [
      '',
      '1',
      '1.k1',
      '1.k1.',
      '2.k1.AAAA',
      '1.k 1.AAAA',
      '1.k1.AA==',
      'x'.repeat(5000),
    ])
      expect(tokens.verify(bad), bad.slice(0, 20)).to.deep.equal({
        ok: false,
        reason: 'malformed',
      });
  });

  it('keeps links of a retired key working after a rotation; new links carry the new key', () => {
    const before = tokens.create('ann@example.com');
    const rotated = new LinkTokens({ current: K2, retired: [K1] }, 90 * DAY);
    expect(rotated.verify(before).ok).to.equal(true);
    const after = rotated.create('ann@example.com');
    expect(after.startsWith('1.k2.')).to.equal(true);
    expect(tokens.verify(after)).to.deep.equal({ ok: false, reason: 'unknown_key' });
  });

  it('binds the undo proof to the link and to the exact change', () => {
    const code = tokens.undoCode('0123456789abcdef', 1000);
    expect(tokens.checkUndoCode('0123456789abcdef', 1000, code)).to.equal(true);
    expect(tokens.checkUndoCode('0123456789abcdef', 1001, code)).to.equal(false);
    expect(tokens.checkUndoCode('fedcba9876543210', 1000, code)).to.equal(false);
    expect(tokens.checkUndoCode('0123456789abcdef', 1000, '')).to.equal(false);
  });

  it('takes undo proofs shown before a rotation, as it takes the links: for their link and change only', () => {
    const link = tokens.verify(tokens.create('ann@example.com'));
    const otherLink = tokens.verify(tokens.create('bob@example.com'));
    if (!link.ok || !otherLink.ok) throw new Error('links refused');
    const code = tokens.undoCode(link.link.linkId, 1000);
    const rotated = new LinkTokens({ current: K2, retired: [K1] }, 90 * DAY);
    // Before: proofs were checked against the current key alone.
    expect(rotated.checkUndoCode(link.link.linkId, 1000, code)).to.equal(true);
    expect(rotated.checkUndoCode(link.link.linkId, 1001, code)).to.equal(false);
    expect(rotated.checkUndoCode(otherLink.link.linkId, 1000, code)).to.equal(false);
    // New proofs are made with the new key, and a key dropped from the ring takes its proofs along.
    expect(rotated.undoCode(link.link.linkId, 1000)).not.to.equal(code);
    const dropped = new LinkTokens({ current: K2, retired: [] }, 90 * DAY);
    expect(dropped.checkUndoCode(link.link.linkId, 1000, code)).to.equal(false);
    expect(
      tokens.checkUndoCode(link.link.linkId, 1000, rotated.undoCode(link.link.linkId, 1000)),
    ).to.equal(false);
  });

  it('is configured from the environment, with errors that name the setting', () => {
    const base = { DATA_DIR: ':memory:' };
    expect(linkTokensFromConfig(loadConfig(base))).to.equal(null);
    expect(() => loadConfig({ ...base, UNSUBSCRIBE_LINK_SECRET: 'short' })).to.throw(
      ConfigError,
      /UNSUBSCRIBE_LINK_SECRET/,
    );
    expect(() => loadConfig({ ...base, UNSUBSCRIBE_LINK_MAX_AGE_DAYS: '30' })).to.throw(
      /UNSUBSCRIBE_LINK_MAX_AGE_DAYS/,
    );
    expect(() => loadConfig({ ...base, UNSUBSCRIBE_LINK_OLD_KEYS: 'k0:tooshort' })).to.throw(
      /UNSUBSCRIBE_LINK_OLD_KEYS/,
    );
    expect(() =>
      loadConfig({
        ...base,
        UNSUBSCRIBE_LINK_SECRET: K1.secret,
        UNSUBSCRIBE_LINK_OLD_KEYS: `k1:${K2.secret}`,
      }),
    ).to.throw(ConfigError, /UNSUBSCRIBE_LINK_OLD_KEYS holds k1/);
    const clash = {
      ...loadConfig({ ...base, UNSUBSCRIBE_LINK_SECRET: K1.secret }),
      unsubscribeLinkOldKeys: [{ id: 'k1', secret: K2.secret }],
    };
    expect(() => linkTokensFromConfig(clash)).to.throw(ConfigError, /UNSUBSCRIBE_LINK/);
  });

  it('offers senders a library function and the two RFC 8058 header lines', () => {
    const url = unsubscribeLink('ann@example.com', {
      baseUrl: 'https://unsub.example.com/',
      key: K1,
      list: 'news',
    });
    expect(url).to.match(/^https:\/\/unsub\.example\.com\/u\/1\.k1\.[A-Za-z0-9_-]+$/);
    const opened = tokens.verify(url.slice(url.lastIndexOf('/') + 1));
    expect(opened.ok && opened.link.email).to.equal('ann@example.com');
    expect(listUnsubscribeHeaders(url)).to.equal(
      `List-Unsubscribe: <${url}>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n`,
    );
  });

  it('folds a List-Unsubscribe line longer than a mail line may be (998), within the brackets', () => {
    // Before: one line of over a thousand characters for a long address in another script,
    // which RFC 5322 forbids and mail servers break wherever they like (the DKIM signature too).
    const label = '中'.repeat(60);
    const email = `${'中'.repeat(64)}@${[label, label, label].join('.')}.cn`;
    const url = unsubscribeLink(email, {
      baseUrl: 'https://unsubscribe.example.com',
      key: { id: 'k'.repeat(16), secret: K1.secret },
      list: 'l'.repeat(64),
    });
    const headers = listUnsubscribeHeaders(url);
    const lines = headers.split('\r\n');
    expect(lines.at(-1)).to.equal('');
    for (const line of lines) expect(line.length, line.slice(0, 40)).to.be.at.most(998);
    expect(lines.length).to.be.above(3);
    // Unfolded, and the whitespace within the brackets ignored (RFC 2369, section 2): the URL.
    const [unsubscribe, post] = headers.replace(/\r\n(?=[ \t])/g, '').split('\r\n');
    expect(post).to.equal('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    const match = /^List-Unsubscribe:\s*<([^>]*)>$/.exec(unsubscribe!);
    expect(match![1]!.replace(/\s+/g, '')).to.equal(url);
    const opened = new LinkTokens(
      { current: { id: 'k'.repeat(16), secret: K1.secret }, retired: [] },
      90 * DAY,
    ).verify(url.slice(url.lastIndexOf('/') + 1));
    expect(opened.ok && opened.link.email).to.equal(email);
  });

  describe('computed by a sender in Python, from the recipe in docs/one-click.md', function () {
    this.timeout(30000);
    let python: string;

    before(function () {
      const docs = fs.readFileSync(path.join(ROOT, 'docs/one-click.md'), 'utf8');
      const block = /```python\n([\s\S]*?)```/.exec(docs);
      if (!block) throw new Error('docs/one-click.md has no python block');
      python = block[1]!;
      try {
        execFileSync('python3', ['-c', 'import cryptography'], { stdio: 'ignore' });
      } catch {
        if (process.env.CI) throw new Error('python3-cryptography is missing (see .ci/run)');
        this.skip();
      }
    });

    const run = (driver: string): string[] =>
      execFileSync('python3', ['-c', `${python}\n${driver}`], { encoding: 'utf8' })
        .trim()
        .split('\n');

    it('gives, byte for byte, the token the service makes from the same inputs', () => {
      const [fromPython] = run(
        `print(unsubscribe_token("Zoë@example.com", "k1", ${JSON.stringify(K1.secret)}, ${now}, "news", bytes(range(12))))`,
      );
      const fromNode = tokens.create('Zoë@example.com', {
        list: 'news',
        issuedAt: now,
        nonce: Buffer.from([...Array(12).keys()]),
      });
      expect(fromPython).to.equal(fromNode);
    });

    it('opens its longest list name beside the longest address, and refuses a longer name itself', () => {
      // 254 code units of three bytes of UTF-8 but the @ and the dot; a name of 64 characters
      // of four bytes each. Before: the recipe made the token, the service refused it (400).
      const email = `${'名'.repeat(240)}@${'例'.repeat(10)}.テス`;
      const secret = JSON.stringify(K1.secret);
      const [made] = run(
        `print(unsubscribe_token(${JSON.stringify(email)}, "k1", ${secret}, list_name="𝔑" * 64))`,
      );
      const opened = tokens.verify(made!);
      expect(opened.ok && opened.link.email).to.equal(email);
      const [refused] = run(
        `try: unsubscribe_token("ann@example.com", "k1", ${secret}, list_name="é" * 129)\nexcept ValueError as e: print(e)`,
      );
      expect(refused).to.equal('list_name is at most 256 bytes of UTF-8');
    });

    it('makes random-nonce tokens the service opens', () => {
      const lines = run(
        `for e in ["ann@example.com", "bob@example.org"]: print(unsubscribe_token(e, "k1", ${JSON.stringify(K1.secret)}))`,
      );
      expect(lines.map((t) => (tokens.verify(t).ok ? 'ok' : t))).to.deep.equal(['ok', 'ok']);
      const opened = tokens.verify(lines[1]!);
      expect(opened.ok && opened.link.email).to.equal('bob@example.org');
    });

    it('makes links the service opens from the secret with the line end a secret file keeps', () => {
      // The service reads UNSUBSCRIBE_LINK_SECRET trimmed: the recipe must seal under that key.
      const [made] = run(
        `print(unsubscribe_token("ann@example.com", "k1", ${JSON.stringify(`${K1.secret}
`)}))`,
      );
      expect(tokens.verify(made!).ok).to.equal(true);
    });
  });
});
