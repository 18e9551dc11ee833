import type { Services } from '../domain/services.js';
import type { HandlerLimits, OperationHandler } from './operation-handler.js';
import { readHandlers } from './mktows.read-handlers.js';
import { writeHandlers } from './mktows.write-handlers.js';

/**
 * The operations served, each translating XML arguments → domain call → response in schema
 * order: the reads (mktows.read-handlers.ts) and the writes (mktows.write-handlers.ts). An
 * operation of the WSDL not named here is declared but not served (fault 20019).
 */
export function mktowsHandlers(
  services: Services,
  limits: HandlerLimits,
): Record<string, OperationHandler> {
  const reads = readHandlers(services, limits);
  const writes = writeHandlers(services, limits);
  return {
    getLead: reads.getLead,
    syncLead: writes.syncLead,
    syncMultipleLeads: writes.syncMultipleLeads,
    getMultipleLeads: reads.getMultipleLeads,
    getLeadActivity: reads.getLeadActivity,
    getLeadChanges: reads.getLeadChanges,
    mergeLeads: writes.mergeLeads,
    listMObjects: reads.listMObjects,
    describeMObject: reads.describeMObject,
    deleteLead: writes.deleteLead,
  };
}
