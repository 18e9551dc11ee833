import { VENDOR_OPERATIONS, type VendorOperation } from './vendor-contract.js';

/**
 * The vendor operations this service serves, written down by hand (not read from src/): a
 * test of what is served must not move with the code it tests.
 */
const SERVED = new Set([
  'getLead',
  'syncLead',
  'syncMultipleLeads',
  'getMultipleLeads',
  'getLeadActivity',
  'getLeadChanges',
  'mergeLeads',
  'describeMObject',
  'listMObjects',
]);

/** The vendor's operations (vendor-contract.ts) this service does not serve: each answers 20019. */
export const UNSERVED_OPERATIONS: readonly VendorOperation[] = VENDOR_OPERATIONS.filter(
  (o) => !SERVED.has(o.operation),
);
