import { ChangePaths } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/domain/services.js';

const web = ChangePaths.webService();

/** A person without an address, unsubscribed for a complaint by an integration. */
export async function addresslessComplaint(services: Services): Promise<number> {
  const { leadId } = await services.leads.sync(
    {
      attributes: [
        { name: 'FirstName', value: 'Nomail' },
        { name: 'Unsubscribed', value: 'true' },
        { name: 'UnsubscribedReason', value: 'complaint' },
      ],
    },
    { path: web },
  );
  return leadId;
}

export async function unsubscribedNow(
  services: Services,
  id: number,
): Promise<boolean | undefined> {
  const [lead] = await services.leads.find({ keyType: 'IDNUM', keyValue: String(id) });
  return lead?.unsubscribed;
}
