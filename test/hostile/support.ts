import { envelope, syncUnsubscribedXml } from '../support/service.js';
import { leadRecordId, notificationId, notificationsXml } from '../salesforce/support.js';

/** A signed syncLead envelope that stores `email` unsubscribed (Unsubscribed true). */
export const unsubscribingSyncLead = (email: string) =>
  envelope(syncUnsubscribedXml(email, 'true'));

/** A Salesforce message of notification `n`: record `n`, a `type`, opting `email` out. */
export const optOutMessage = (n: number, email: string, type = 'Lead') =>
  notificationsXml([
    {
      id: notificationId(n),
      type,
      recordId: leadRecordId(n),
      fields: { Email: email, HasOptedOutOfEmail: 'true' },
    },
  ]);
