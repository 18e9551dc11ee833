import { expect } from 'chai';
import { inspectEnvelope, inspectHead } from '../../src/soap-transport/envelope-guard.js';

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const MKTO = 'http://www.marketo.com/mktows/';
const LIMITS = { maxDepth: 64, maxNameLength: 256 };
const BODY = '<ns1:paramsGetLead><leadKey/></ns1:paramsGetLead>';

const env = (header: string, body = BODY) =>
  `<?xml version="1.0"?><s:Envelope xmlns:s="${SOAP11}" xmlns:ns1="${MKTO}">` +
  `${header}<s:Body>${body}</s:Body></s:Envelope>`;
const auth = (inner: string) =>
  `<s:Header><ns1:AuthenticationHeader>${inner}</ns1:AuthenticationHeader></s:Header>`;

describe('reading the AuthenticationHeader on the way', () => {
  it('reads the three fields as node-soap would: references decoded, CDATA opened, trimmed', () => {
    const xml = env(
      auth(
        '<mktowsUserId> bob&amp;co </mktowsUserId>' +
          '<requestSignature><![CDATA[abc]]>&#x64;</requestSignature>' +
          '<requestTimestamp>2026-11-30T10:00:00+00:00</requestTimestamp><extra>1</extra>',
      ),
    );
    const expected = {
      mktowsUserId: 'bob&co',
      requestSignature: 'abcd',
      requestTimestamp: '2026-11-30T10:00:00+00:00',
    };
    expect(inspectHead(xml, LIMITS)?.credentials).to.deep.equal(expected);
    expect(inspectEnvelope(xml, LIMITS).credentials).to.deep.equal(expected);
  });

  it('finds it in any namespace and with any prefix', () => {
    const xml = env(
      `<s:Header><a:AuthenticationHeader xmlns:a="urn:other"><a:mktowsUserId>u</a:mktowsUserId></a:AuthenticationHeader></s:Header>`,
    );
    expect(inspectHead(xml, LIMITS)?.credentials).to.deep.equal({ mktowsUserId: 'u' });
  });

  it('stops at the Body: what comes after it is not looked at', () => {
    const xml = env(auth('<mktowsUserId>u</mktowsUserId>'), '<<< not even XML');
    expect(inspectHead(xml, LIMITS)?.credentials).to.deep.equal({ mktowsUserId: 'u' });
  });

  it('says "not yet" for a start that ends before the Body', () => {
    const xml = env(auth('<mktowsUserId>u</mktowsUserId>'));
    const cut = xml.indexOf('<s:Body>');
    expect(inspectHead(xml.slice(0, cut), LIMITS)).to.equal(null);
    expect(() => inspectHead(xml.slice(0, cut + 4), LIMITS)).to.throw();
  });

  it('has no credentials without a header, and drops a field given twice or holding elements', () => {
    expect(inspectHead(env(''), LIMITS)?.credentials).to.equal(null);
    expect(inspectHead(env('<s:Header/>'), LIMITS)?.credentials).to.equal(null);
    const twice = env(auth('<mktowsUserId>a</mktowsUserId><mktowsUserId>b</mktowsUserId>'));
    expect(inspectHead(twice, LIMITS)?.credentials).to.deep.equal({});
    const nested = env(auth('<mktowsUserId><x>a</x></mktowsUserId>'));
    expect(inspectHead(nested, LIMITS)?.credentials).to.deep.equal({});
    const empty = env(auth('<mktowsUserId/><requestSignature></requestSignature>'));
    expect(inspectHead(empty, LIMITS)?.credentials).to.deep.equal({
      mktowsUserId: '',
      requestSignature: '',
    });
  });

  it('refuses two AuthenticationHeaders', () => {
    const xml = env('<s:Header><ns1:AuthenticationHeader/><ns1:AuthenticationHeader/></s:Header>');
    expect(() => inspectHead(xml, LIMITS)).to.throw(/More than one AuthenticationHeader/);
  });
});
