/**
 * What the tests of envelopes as client toolkits write them share: the namespaces they bind,
 * the AuthenticationHeader's fields signed now, and WCF's envelope (its `s:` prefix and
 * xmlns="" members), which more than one toolkit's test sends.
 */
import { requestSignature } from '../../src/mktows/auth.js';
import { isoNow, TEST_USER } from './service.js';

export const MKTOWS = 'http://www.marketo.com/mktows/';
export const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
export const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
export const XSD = 'http://www.w3.org/2001/XMLSchema';

/** The AuthenticationHeader's three fields for the test user, signed now. */
export function signedNow(): { user: string; ts: string; sig: string } {
  const ts = isoNow();
  return {
    user: TEST_USER.userId,
    ts,
    sig: requestSignature(TEST_USER.encryptionKey, ts, TEST_USER.userId),
  };
}

/** WCF's envelope: `s:` prefix, the header in a default namespace with xmlns="" members. */
export function wcfEnvelope(bodyXml: string): string {
  const { user, ts, sig } = signedNow();
  return (
    `<s:Envelope xmlns:s="${SOAP11}"><s:Header>` +
    `<h:AuthenticationHeader xmlns:h="${MKTOWS}" xmlns="${MKTOWS}" xmlns:xsi="${XSI}" xmlns:xsd="${XSD}">` +
    `<mktowsUserId xmlns="">${user}</mktowsUserId><requestSignature xmlns="">${sig}</requestSignature>` +
    `<requestTimestamp xmlns="">${ts}</requestTimestamp></h:AuthenticationHeader></s:Header>` +
    `<s:Body xmlns:xsi="${XSI}" xmlns:xsd="${XSD}">${bodyXml}</s:Body></s:Envelope>`
  );
}
