/** Where a change came from: Reason and Source of the activities it writes. */
export interface ChangePath {
  reason: string;
  source: string;
  /** Who did it, when known (an operator, a SOAP user); kept in the master status history. */
  actor?: string;
}

export const ChangePaths = {
  webService: (actor?: string): ChangePath => ({
    reason: 'Web service API',
    source: 'Web service API',
    actor,
  }),
  salesforce: (actor?: string): ChangePath => ({
    reason: 'Salesforce sync',
    source: 'Salesforce',
    actor,
  }),
  flowStep: (actor?: string): ChangePath => ({
    reason: 'Change Data Value flow step',
    source: 'Smart campaign',
    actor,
  }),
  personDetail: (actor?: string): ChangePath => ({
    reason: 'Person detail',
    source: 'Person detail',
    actor,
  }),
  suppressionImport: (actor?: string): ChangePath => ({
    reason: 'Suppression list import',
    source: 'Suppression import',
    actor,
  }),
  /** An operator suppressing or lifting an address on its page (the console). */
  addressStatus: (actor?: string): ChangePath => ({
    reason: 'Address status',
    source: 'Address status',
    actor,
  }),
} as const;

/** Reason of a flag that followed the master status because another person's flag changed. */
export const PROPAGATED_REASON =
  'System flow action sysActionChangeDataValue updateLeadEmailStatus';
/** Reason of a flag re-derived from the master status on create or address change. */
export const RESET_REASON = 'System flow action sysActionChangeDataValue resetLeadEmailStatus';
