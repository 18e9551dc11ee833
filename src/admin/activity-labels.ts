import type { ActivityView } from '../domain/activity.service.js';
import { PROPAGATED_REASON, RESET_REASON } from '../domain/change-paths.js';
import { EMAIL_DISPLAY_NAME } from '../domain/field-catalogue.js';

function attributes(a: ActivityView): Map<string, string> {
  return new Map(a.attributes);
}

const flagWord = (value: string | undefined): string =>
  value === 'true' ? 'Unsubscribed' : 'Re-subscribed';

const quoted = (value: string | undefined): string => (value ? `“${value}”` : 'empty');

/**
 * What an activity means, in words an operator reads at a glance. The vendor's own reason
 * strings (which the SOAP API returns unchanged) stay available beside it on the page.
 * `page` is the list the activity is shown in: an address change logged at the same moment
 * tells a re-derived flag after a move from one on creation.
 */
export function activityLabel(a: ActivityView, page: readonly ActivityView[] = []): string {
  const attrs = attributes(a);
  const source = attrs.get('Source') ?? '';
  switch (a.activityType) {
    case 'New Lead':
      return `Created (${attrs.get('Source Type') ?? 'unknown path'})`;
    case 'Delete Lead':
      return 'Deleted';
    case 'Change Data Value':
      break;
    default:
      return a.activityType;
  }
  const field = attrs.get('Attribute Name') ?? '';
  const reason = attrs.get('Reason') ?? '';
  const to = attrs.get('New Value');
  if (field === 'Unsubscribed') {
    const what = flagWord(to);
    if (reason === PROPAGATED_REASON) {
      if (a.causeLeadId !== null)
        return `${what} because person ${a.causeLeadId} ${what.toLowerCase()} (same address)`;
      return `${what} because its address was ${to === 'true' ? 'suppressed' : 'lifted'} (${source})`;
    }
    if (reason === RESET_REASON) {
      const moved = page.some(
        (p) =>
          p.leadId === a.leadId &&
          p.createdAt.getTime() === a.createdAt.getTime() &&
          attributes(p).get('Attribute Name') === EMAIL_DISPLAY_NAME,
      );
      return moved
        ? 'Re-derived from the new address after an address change'
        : 'Re-derived from the address on creation';
    }
    return `${what} (${reason || source})`;
  }
  return `${field} changed from ${quoted(attrs.get('Old Value'))} to ${quoted(to)} (${reason || source})`;
}
