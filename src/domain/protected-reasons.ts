/**
 * Suppression reasons that an operator must confirm explicitly before lifting (a complaint is a
 * legal matter, not a preference). The one place that decides it: every page and service asks
 * here, so the list can later come from configuration without touching them.
 */
const PROTECTED_REASONS: readonly string[] = ['complaint'];

export function isProtectedReason(reason: string | null | undefined): boolean {
  if (!reason) return false;
  return PROTECTED_REASONS.includes(reason.trim().toLowerCase());
}

/** The protected reasons, lower case, for queries that count them. */
export function protectedReasons(): readonly string[] {
  return PROTECTED_REASONS;
}
