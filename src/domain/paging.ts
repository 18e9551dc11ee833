/**
 * remainingCount (getLeadActivity, getLeadChanges, getMultipleLeads) counts at most this many:
 * clients read it as "more to come" (> 0), and an exact count would cost as much as the whole
 * rest of the history or stream on every page.
 */
export const REMAINING_COUNT_CAP = 10000;
