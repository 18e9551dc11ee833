import crypto from 'node:crypto';
import { expect } from 'chai';
import {
  LinkTokens,
  listUnsubscribeHeaders,
  MAX_LIST_BYTES,
  MAX_TOKEN_LENGTH,
  unsubscribeLink,
} from '../../src/one-click/link-token.js';

/**
 * The token length bound at its edges: the longest token a sender may make (a 16-character key
 * id, a list name of 64 characters of four bytes of UTF-8 each, an address of 254 code units of
 * three bytes each with its list's line end, a date in milliseconds with a fraction), in each
 * spelling verify takes (padded, folded), is opened; one character more is refused before
 * anything is decoded.
 */
const KEY = { id: 'k'.repeat(16), secret: 'edge-secret-0123456789abcdefghijklmnop' };
/** The longest list name a sender's pipeline may seal: 64 characters of four bytes each. */
const LIST = '𝔑'.repeat(64);
/** 254 code units, each three bytes of UTF-8 (a full-width at sign, an ideographic stop). */
const ADDRESS = `${'名'.repeat(250)}＠例。テ`;
const NOW_MS = Date.UTC(2026, 11, 6, 12, 0, 0, 123);

/** A token sealed by the recipe of docs/one-click.md from `plain` as given. */
function sealed(plain: string): string {
  const key = crypto.createHmac('sha256', KEY.secret).update('durable-unsubscribe/link/v1');
  const nonce = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', key.digest(), nonce);
  cipher.setAAD(Buffer.from(`1.${KEY.id}`));
  const bytes = Buffer.from(plain, 'utf8');
  const body = Buffer.concat([nonce, cipher.update(bytes), cipher.final(), cipher.getAuthTag()]);
  return `1.${KEY.id}.${body.toString('base64url')}`;
}

/** `token` with `text` put in at each of `at` (from its start). */
function withInserted(token: string, text: string, at: number[]): string {
  let out = token;
  for (const i of [...at].sort((a, b) => b - a)) out = out.slice(0, i) + text + out.slice(i);
  return out;
}

describe('the token length bound, at its edges', () => {
  const tokens = new LinkTokens({ current: KEY, retired: [] }, 90 * 86400);
  const opened = (token: string) => {
    const verified = tokens.verify(token, NOW_MS);
    return verified.ok ? verified.link.email : verified.reason;
  };
  // The longest plaintext verify reads: 23 + 1 + 256 + 1 + 762 + 2 bytes.
  const longest = sealed(`${NOW_MS}.123456789\n${LIST}\n${ADDRESS}\r\n`);

  it('opens the longest address beside a list name of 64 characters of 1, 2, 3 or 4 bytes of UTF-8', () => {
    // Before: the bound counted 64 bytes of list name, so every such link of a name in another
    // script beside a long address was refused as malformed, its opt-out lost.
    expect(Buffer.byteLength(LIST)).to.equal(MAX_LIST_BYTES);
    for (const letter of ['l', 'é', '名', '𝔑']) {
      const list = letter.repeat(64);
      const token = sealed(`${NOW_MS}.123456789\n${list}\n${ADDRESS}\r\n`);
      expect(token.length, letter).to.be.at.most(MAX_TOKEN_LENGTH);
      expect(opened(token), letter).to.equal(ADDRESS);
    }
    // A byte more of list name than the bound counts is refused, before it is decrypted.
    const tooLong = sealed(`${NOW_MS}.123456789\n${LIST}l\n${ADDRESS}\r\n`);
    expect(tooLong.length).to.be.above(MAX_TOKEN_LENGTH);
    expect(opened(tooLong)).to.equal('malformed');
  });

  it("opens a sender's longest token, dated in milliseconds with a fraction, at exactly the bound", () => {
    // Before: the bound (1,177) counted an issuedAt of 12 digits and no line end: refused as
    // malformed, the opt-out lost.
    expect(Buffer.byteLength(ADDRESS)).to.equal(762);
    expect(longest.length).to.equal(MAX_TOKEN_LENGTH);
    expect(opened(longest)).to.equal(ADDRESS);
    // A date of 13 digits alone, or of seconds with a fraction as Python's time.time() writes it.
    for (const issuedAt of [`${NOW_MS}`, `${Math.floor(NOW_MS / 1000)}.1234567`])
      expect(opened(sealed(`${issuedAt}\n${LIST}\n${ADDRESS}\r\n`)), issuedAt).to.equal(ADDRESS);
  });

  it('opens it padded, folded as a mail client leaves a folded header, and with both', () => {
    // 1,073 sealed bytes: one "=" of padding.
    const padded = `${longest}=`;
    expect(opened(padded)).to.equal(ADDRESS);
    // A folded List-Unsubscribe line cuts the token at most twice (its lines hold 997
    // characters); kept as sent (CRLF and a space) or unfolded (the space alone).
    expect(opened(withInserted(longest, ' ', [300, 1100]))).to.equal(ADDRESS);
    expect(opened(withInserted(padded, '\r\n ', [300, 1200]))).to.equal(ADDRESS);
  });

  it("opens this module's own longest link, folded by listUnsubscribeHeaders, kept raw or unfolded", () => {
    const url = unsubscribeLink(ADDRESS, {
      baseUrl: 'https://unsubscribe.example.com',
      key: KEY,
      // The longest list name this module takes (it refuses a name of another shape).
      list: 'l'.repeat(64),
      issuedAt: Math.floor(NOW_MS / 1000),
    });
    const token = url.slice(url.lastIndexOf('/') + 1);
    expect(token.length).to.be.at.most(MAX_TOKEN_LENGTH);
    // A name of another shape is refused when the link is made, naming the rule, never sent.
    const base = { baseUrl: 'https://unsubscribe.example.com', key: KEY };
    expect(() => unsubscribeLink(ADDRESS, { ...base, list: 'é'.repeat(64) })).to.throw(
      /list name is 0 to 64 of A-Z a-z 0-9/,
    );
    const line = listUnsubscribeHeaders(url).split('\r\nList-Unsubscribe-Post')[0]!;
    const inBrackets = line.slice(line.indexOf('<') + 1, line.indexOf('>'));
    for (const folded of [inBrackets, inBrackets.replace(/\r\n/g, '')]) {
      const foldedToken = folded.slice(folded.lastIndexOf('/') + 1);
      expect(foldedToken).to.match(/\s/);
      expect(opened(foldedToken)).to.equal(ADDRESS);
    }
  });

  it('refuses one character more as malformed before decoding it, under a known key', () => {
    // Of the alphabet and canonical (1,432 body characters: whole groups of four), so past the
    // bound it would be decrypted and refused as forged; it is refused as malformed instead.
    const longer = `${longest}A`;
    expect(longer.length).to.equal(MAX_TOKEN_LENGTH + 1);
    expect(opened(longer)).to.equal('malformed');
    expect(opened(withInserted(longer, ' ', [500]))).to.equal('malformed');
    // The token checked at once, before white space or padding is taken out: at most 2 "=" and
    // 8 characters of folds beside the longest body.
    expect(
      opened(withInserted(longest, ' ', [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000])),
    ).to.equal(ADDRESS);
    expect(
      opened(withInserted(longest, ' ', [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1100])),
    ).to.equal('malformed');
  });

  it('finds the longest token followed by trailing punctuation, and no longer one', () => {
    expect(tokens.linkedWithPunctuation(`${longest}).`, NOW_MS)).to.equal(longest);
    expect(tokens.linkedWithPunctuation(`${longest}A).`, NOW_MS)).to.equal(null);
  });
});
