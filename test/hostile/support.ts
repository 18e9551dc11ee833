import type { Services } from '../../src/domain/services.js';
import { ErrorCode, isAppError } from '../../src/errors.js';
import type { LeadView } from '../../src/domain/lead.types.js';
import { envelope, syncUnsubscribedXml } from '../support/service.js';

/** The people stored with `email`, none (not an error) when there are none. */
export function peopleWithEmail(services: Services, email: string): Promise<LeadView[]> {
  return services.leads.find({ keyType: 'EMAIL', keyValue: email }).catch((error: unknown) => {
    if (isAppError(error) && error.code === ErrorCode.LEAD_NOT_FOUND) return [];
    throw error;
  });
}

/** A signed syncLead envelope that stores `email` unsubscribed (Unsubscribed true). */
export const unsubscribingSyncLead = (email: string) =>
  envelope(syncUnsubscribedXml(email, 'true'));
