import { SERVED_NAMES, VENDOR_OPERATIONS, type VendorOperation } from './vendor-contract.js';

const SERVED = new Set(SERVED_NAMES);

/** The vendor's operations (vendor-contract.ts) this service does not serve: each answers 20019. */
export const UNSERVED_OPERATIONS: readonly VendorOperation[] = VENDOR_OPERATIONS.filter(
  (o) => !SERVED.has(o.operation),
);
