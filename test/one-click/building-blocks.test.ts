import crypto from 'node:crypto';
import { expect } from 'chai';
import { clientLimitKey } from '../../src/http/networks.js';
import { FormError, parseForm } from '../../src/one-click/form-body.js';
import { chooseLanguage } from '../../src/one-click/messages.js';
import { maskAddress, pagePolicy, renderPage } from '../../src/one-click/page.js';

const URLENCODED = 'application/x-www-form-urlencoded';

function multipart(boundary: string, parts: Array<[string, string]>, closing = true): Buffer {
  let body = '';
  for (const [name, value] of parts)
    body += `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  return Buffer.from(body + (closing ? `--${boundary}--\r\n` : ''));
}

function reasonOf(work: () => unknown): string {
  try {
    work();
  } catch (error) {
    if (error instanceof FormError) return error.reason;
    throw error;
  }
  return 'accepted';
}

describe('one-click building blocks', () => {
  describe('form bodies', () => {
    it('reads the RFC 8058 body in both encodings', () => {
      for (const body of ['List-Unsubscribe=One-Click', 'List-Unsubscribe=One-Click\r\n'])
        expect(parseForm(URLENCODED, Buffer.from(body)).get('List-Unsubscribe')).to.equal(
          'One-Click',
        );
      const boundary = '----formdata-undici-0123456789';
      const fields = parseForm(
        `multipart/form-data; boundary="${boundary}"`,
        multipart(boundary, [['List-Unsubscribe', 'One-Click']]),
      );
      expect(fields.get('List-Unsubscribe')).to.equal('One-Click');
    });

    it('reads the one-click body as senders really post it: no Content-Type, bare LF, bare names', () => {
      const oneClick = (contentType: string | undefined, body: string) =>
        parseForm(contentType, Buffer.from(body)).get('List-Unsubscribe');
      // No Content-Type at all, or text/plain: the urlencoded body.
      expect(oneClick(undefined, 'List-Unsubscribe=One-Click')).to.equal('One-Click');
      expect(oneClick('', 'List-Unsubscribe=One-Click\r\n')).to.equal('One-Click');
      expect(oneClick('text/plain; charset=utf-8', 'List-Unsubscribe=One-Click')).to.equal(
        'One-Click',
      );
      // multipart with bare LF line ends throughout.
      const lf =
        '--b\nContent-Disposition: form-data; name="List-Unsubscribe"\n\nOne-Click\n--b--\n';
      expect(oneClick('multipart/form-data; boundary=b', lf)).to.equal('One-Click');
      // The name parameter as a MIME token, unquoted.
      const bare =
        '--b\r\nContent-Disposition: form-data; name=List-Unsubscribe\r\n\r\nOne-Click\r\n--b--\r\n';
      expect(oneClick('multipart/form-data; boundary=b', bare)).to.equal('One-Click');
      const spaced =
        '--b\r\nContent-Disposition: form-data; filename="x"; name = "List-Unsubscribe"\r\n\r\nOne-Click\r\n--b--\r\n';
      expect(oneClick('multipart/form-data; boundary=b', spaced)).to.equal('One-Click');
    });

    it('keeps the first of duplicate fields, decodes percent and plus', () => {
      const fields = parseForm(
        `${URLENCODED}; charset=utf-8`,
        Buffer.from('List-Unsubscribe=One-Click&List-Unsubscribe=No&lang=fr&x=a+b%C3%A9'),
      );
      expect(fields.get('List-Unsubscribe')).to.equal('One-Click');
      expect(fields.get('x')).to.equal('a bé');
    });

    it('refuses other media types and broken bodies', () => {
      expect(reasonOf(() => parseForm('application/json', Buffer.from('{}')))).to.equal(
        'unsupported_media',
      );
      expect(reasonOf(() => parseForm('text/html', Buffer.from('')))).to.equal('unsupported_media');
      expect(reasonOf(() => parseForm(URLENCODED, Buffer.from('a=%E0%A4%A')))).to.equal('bad_body');
      expect(reasonOf(() => parseForm('multipart/form-data', Buffer.from('x')))).to.equal(
        'bad_body',
      );
      expect(
        reasonOf(() =>
          parseForm('multipart/form-data; boundary=b', multipart('b', [['a', '1']], false)),
        ),
      ).to.equal('bad_body');
      const many = Array.from({ length: 40 }, (_, i) => `f${i}=1`).join('&');
      expect(reasonOf(() => parseForm(URLENCODED, Buffer.from(many)))).to.equal('bad_body');
    });

    it('parses in time linear in the body (near-delimiters all along an unclosed part)', () => {
      // Growth ratio only: ten times the body may not cost a hundred times the time. CPU
      // time, the sizes measured in turns, each its least disturbed round: a preemption or a
      // collection in one round is not the parser's cost.
      const head = '--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n';
      const bodyOf = (n: number) => Buffer.from(head + 'x\r\n-'.repeat(n));
      const small = bodyOf(2000);
      const large = bodyOf(20000);
      const cpu = (body: Buffer) => {
        const t0 = process.cpuUsage();
        for (let i = 0; i < 20; i++)
          reasonOf(() => parseForm('multipart/form-data; boundary=b', body));
        const t = process.cpuUsage(t0);
        return t.user + t.system;
      };
      cpu(small);
      cpu(large);
      let bestSmall = Infinity;
      let bestLarge = Infinity;
      for (let round = 0; round < 5; round++) {
        bestSmall = Math.min(bestSmall, cpu(small));
        bestLarge = Math.min(bestLarge, cpu(large));
      }
      expect(bestLarge / bestSmall, `${bestSmall} µs vs ${bestLarge} µs`).to.be.below(40);
    });
  });

  it('chooses the language: explicit choice, then Accept-Language by q, then English', () => {
    expect(chooseLanguage('fr', 'en')).to.equal('fr');
    expect(chooseLanguage('xx', 'fr-FR')).to.equal('fr');
    expect(chooseLanguage(undefined, 'de-DE, fr;q=0.5, en;q=0.4')).to.equal('fr');
    expect(chooseLanguage(undefined, 'fr;q=0.2, en;q=0.9')).to.equal('en');
    expect(chooseLanguage(undefined, 'de')).to.equal('en');
    expect(chooseLanguage(undefined, undefined)).to.equal('en');
    expect(chooseLanguage(undefined, `${'x,'.repeat(100000)}fr`)).to.equal('en');
  });

  it('masks addresses enough', () => {
    expect(maskAddress('ann@example.com')).to.equal('a•••@e•••.com');
    expect(maskAddress('annabelle@mail.example.co.uk')).to.equal('an•••@m•••.uk');
    expect(maskAddress('x@localhost')).to.equal('x•••@l•••');
    expect(maskAddress('zoë.lee@exämple.fr')).to.equal('zo•••@e•••.fr');
  });

  it("allows, by its policy's hash, the very text of the page's stylesheet", () => {
    // A browser hashes all the text of the <style> element, line ends and indentation
    // included. Before, the hash was of the rules alone while the element held them indented:
    // every browser refused the stylesheet and showed the page unstyled.
    for (const logoUrl of ['', 'https://cdn.example.com/logo.png']) {
      const page = renderPage({
        state: { kind: 'confirm' },
        lang: 'en',
        branding: { senderName: 'Example News', logoUrl },
        maskedAddress: 'a•••@e•••.com',
      });
      const sheets = [...page.matchAll(/<style>([^]*?)<\/style>/g)].map((m) => m[1]!);
      expect(sheets).to.have.length(1);
      const hash = crypto.createHash('sha256').update(sheets[0]!, 'utf8').digest('base64');
      expect(pagePolicy(logoUrl)).to.contain(`style-src 'sha256-${hash}'`);
    }
  });

  it('counts IPv6 clients by their /64', () => {
    expect(clientLimitKey('203.0.113.7')).to.equal('203.0.113.7');
    expect(clientLimitKey('::ffff:203.0.113.7')).to.equal('203.0.113.7');
    expect(clientLimitKey('2001:db8:1:2:aaaa::1')).to.equal('2001:db8:1:2::/64');
    expect(clientLimitKey('2001:0db8:0001:0002:ffff:0:0:9')).to.equal('2001:db8:1:2::/64');
    expect(clientLimitKey('2001:db8::1')).to.equal('2001:db8:0:0::/64');
    expect(clientLimitKey('::1')).to.equal('0:0:0:0::/64');
    expect(clientLimitKey(undefined)).to.equal('unknown');
  });
});
