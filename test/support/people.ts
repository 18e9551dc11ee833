import type { LeadView } from '../../src/domain/lead.types.js';
import type { Services } from '../../src/domain/services.js';
import { ErrorCode, isAppError } from '../../src/errors.js';

/** The people stored with `email`, none (not an error) when there are none. */
export function peopleWithEmail(services: Services, email: string): Promise<LeadView[]> {
  return services.leads.find({ keyType: 'EMAIL', keyValue: email }).catch((error: unknown) => {
    if (isAppError(error) && error.code === ErrorCode.LEAD_NOT_FOUND) return [];
    throw error;
  });
}

/** Every person of an address, oldest first: their flags. */
export async function flagsOf(services: Services, email: string): Promise<boolean[]> {
  const leads = await services.leads.find({ keyType: 'EMAIL', keyValue: email });
  return leads.sort((a, b) => a.id - b.id).map((l) => l.unsubscribed);
}
