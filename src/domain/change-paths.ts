/** Where a change came from: Reason and Source of the activities it writes. */
export interface ChangePath {
  reason: string;
  source: string;
  /** Who did it, when known (an operator, a SOAP user); kept in the master status history. */
  actor?: string;
  /**
   * An authenticated operator (person page, command line): the only paths that may lift a
   * suppression whose reason PROTECTED_REASONS names.
   */
  operator?: boolean;
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
  /**
   * A Change Data Value flow step; `operator` when an authenticated operator runs it from the
   * console (and has confirmed lifting any protected suppression it reaches).
   */
  flowStep: (actor?: string, operator = false): ChangePath => ({
    reason: 'Change Data Value flow step',
    source: 'Smart campaign',
    actor,
    ...(operator ? { operator } : {}),
  }),
  /**
   * The console's person page; `liftsProtected` false when the operator has not confirmed
   * lifting a protected suppression: a complaint recorded after the page looked is then
   * refused by the write itself, under the address's lock, instead of lifted unconfirmed.
   */
  personDetail: (actor?: string, liftsProtected = true): ChangePath => ({
    reason: 'Person detail',
    source: 'Person detail',
    actor,
    ...(liftsProtected ? { operator: true } : {}),
  }),
  /** `suppressions add|remove EMAIL`: an operator at the command line. */
  commandLine: (actor?: string): ChangePath => ({
    reason: 'Command line',
    source: 'Command line',
    actor,
    operator: true,
  }),
  suppressionImport: (actor?: string): ChangePath => ({
    reason: 'Suppression list import',
    source: 'Suppression import',
    actor,
  }),
  /** The person themselves, through a signed link (RFC 8058 one-click or the hosted page). */
  unsubscribeLink: (actor?: string): ChangePath => ({
    reason: 'Unsubscribe link',
    source: 'Unsubscribe link',
    actor,
  }),
  /** The person undoing, from the page, the unsubscribe they had just made there. */
  unsubscribeLinkUndo: (actor?: string): ChangePath => ({
    reason: 'Resubscribed by the person on the unsubscribe page',
    source: 'Unsubscribe link',
    actor,
  }),
  /** An operator suppressing or lifting an address on its page (the console). */
  addressStatus: (actor?: string): ChangePath => ({
    reason: 'Address status',
    source: 'Address status',
    operator: true,
    actor,
  }),
} as const;

/** Reason of a flag that followed the master status because another person's flag changed. */
export const PROPAGATED_REASON =
  'System flow action sysActionChangeDataValue updateLeadEmailStatus';
/** Reason of a flag re-derived from the master status on create or address change. */
export const RESET_REASON = 'System flow action sysActionChangeDataValue resetLeadEmailStatus';
