import { AppError, ErrorCode } from '../errors.js';
import { organizationIdOf } from './notification.mapper.js';

/**
 * The sender of an outbound message, read from the envelope's text before node-soap parses it:
 * turning a megabyte of notifications into objects costs the event loop about a second, and a
 * message of an organisation not allowed must not cost that. Salesforce writes OrganizationId
 * as the first member of `notifications` (its WSDL's sequence), so it is looked for there only.
 *
 * Called on an envelope the guard (inspectEnvelope) has accepted: well-formed, no DTD, no
 * processing instructions. Comments and CDATA sections are taken out first, so that neither
 * can pass for markup; then every element named notifications, whatever its prefix (one in a
 * SOAP Header included), must begin with an OrganizationId of an allowed organisation: the
 * Body's, which decides, is one of them.
 */
const HIDDEN = /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>/g;
const PREFIX = '(?:[A-Za-z_][A-Za-z0-9_.-]*:)?';
const NOTIFICATIONS = new RegExp(`<${PREFIX}notifications(?=[\\s/>])`, 'g');
const ANY_SENDER = new RegExp(`<${PREFIX}OrganizationId(?=[\\s/>])`);
const WITH_SENDER = new RegExp(
  `<${PREFIX}notifications(?:\\s[^>]*)?>\\s*<(${PREFIX})OrganizationId(?:\\s[^>/]*)?>([^<]*)</\\1OrganizationId\\s*>`,
  'g',
);

/**
 * Throws what the operation itself would for a sender not allowed (20013) or none (20109), or a
 * 20110 when an element named notifications does not begin with its OrganizationId. `allowed`: id15 of each.
 */
export function refuseUnknownSender(
  xml: string,
  allowed: ReadonlySet<string>,
  id15: (id: string) => string,
): void {
  const plain = xml.replace(HIDDEN, '');
  const elements = plain.match(NOTIFICATIONS)?.length ?? 0;
  const senders = [...plain.matchAll(WITH_SENDER)];
  if (senders.length !== elements || elements === 0) {
    // None at all: the operation's own answer for a message without one (20109).
    if (!ANY_SENDER.test(plain)) organizationIdOf({});
    throw new AppError(
      ErrorCode.BAD_PARAMETER,
      'OrganizationId must be the first member of notifications, as Salesforce sends it',
    );
  }
  for (const m of senders) {
    // The same checks and text as the operation's: a malformed id is 20110, an unknown one 20013.
    const organizationId = organizationIdOf({ OrganizationId: m[2]! });
    if (!allowed.has(id15(organizationId))) {
      throw new AppError(
        ErrorCode.ACCESS_DENIED,
        `Organization ${organizationId} is not allowed to send here (SFDC_ORG_IDS)`,
      );
    }
  }
}
