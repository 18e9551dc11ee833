import type { EnvelopeSummary, HeaderCredentials } from '../soap-transport/envelope-guard.js';
import { MKTOWS_NS } from './faults.js';

/**
 * The requests that carry most calls, read without node-soap's object model (the reader gives
 * node-soap's very object, or leaves the request to node-soap).
 */
export const FAST_READ = {
  namespace: MKTOWS_NS,
  bodyElements: ['paramsGetLead', 'paramsSyncLead', 'paramsSyncMultipleLeads'],
  headerElements: {
    AuthenticationHeader: [
      'mktowsUserId',
      'requestSignature',
      'requestTimestamp',
      'audit',
      'mode',
      'partnerId',
    ],
    MktowsContextHeader: ['targetWorkspace'],
  },
};

const CREDENTIAL_FIELDS = ['mktowsUserId', 'requestSignature', 'requestTimestamp'] as const;

/**
 * What the envelope guard's summary would say of an envelope the request reader read under the
 * guard's limits (it reads only a Body element of FAST_READ, in MKTOWS_NS, of known members), or
 * undefined when the AuthenticationHeader is not plain text fields (the guard then reads it).
 */
export function summaryOfRead(read: unknown): EnvelopeSummary | undefined {
  const envelope = read as { Header?: unknown; Body: Record<string, unknown> };
  let credentials: HeaderCredentials | null = null;
  const header = envelope.Header;
  if (header !== undefined) {
    // null: empty, or nil while it may still hold an AuthenticationHeader the guard reads.
    if (typeof header !== 'object' || header === null) return undefined;
    const auth = (header as Record<string, unknown>).AuthenticationHeader;
    if (auth !== undefined) {
      if (typeof auth !== 'object' || auth === null || Array.isArray(auth)) return undefined;
      credentials = {};
      for (const field of CREDENTIAL_FIELDS) {
        const value = (auth as Record<string, unknown>)[field];
        if (value === undefined) continue;
        if (typeof value !== 'string') return undefined;
        credentials[field] = value;
      }
    }
  }
  for (const local in envelope.Body) return { bodyElement: { ns: MKTOWS_NS, local }, credentials };
  return undefined;
}
