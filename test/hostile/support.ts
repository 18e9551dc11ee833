import { envelope, syncUnsubscribedXml } from '../support/service.js';

/** A signed syncLead envelope that stores `email` unsubscribed (Unsubscribed true). */
export const unsubscribingSyncLead = (email: string) =>
  envelope(syncUnsubscribedXml(email, 'true'));
