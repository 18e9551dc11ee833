import type { Services } from '../../src/domain/services.js';
import { ErrorCode, isAppError } from '../../src/errors.js';
import type { LeadView } from '../../src/domain/lead.types.js';
import { envelope } from '../support/service.js';

/** The people stored with `email`, none (not an error) when there are none. */
export function peopleWithEmail(services: Services, email: string): Promise<LeadView[]> {
  return services.leads.find({ keyType: 'EMAIL', keyValue: email }).catch((error: unknown) => {
    if (isAppError(error) && error.code === ErrorCode.LEAD_NOT_FOUND) return [];
    throw error;
  });
}

/** A signed syncLead envelope that stores `email` unsubscribed (Unsubscribed true). */
export const unsubscribingSyncLead = (email: string) =>
  envelope(
    `<ns1:paramsSyncLead><leadRecord><Email>${email}</Email><leadAttributeList><attribute>` +
      '<attrName>Unsubscribed</attrName><attrValue>true</attrValue></attribute>' +
      '</leadAttributeList></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>',
  );
