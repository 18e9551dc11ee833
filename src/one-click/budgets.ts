/**
 * The rate budgets of /u/, each in windows of a minute (the instance's when this is one of
 * several worker processes: cluster/instance-limits.ts):
 * - per client address (IPv6: its /64), the POSTs (UNSUBSCRIBE_RATE_LIMIT) and, apart, the
 *   page's reads (UNSUBSCRIBE_PAGE_RATE_LIMIT), chosen by the method before anything else is
 *   looked at: no amount of reads refuses a POST;
 * - per link (its id, whatever the token's spelling), the unsubscribes posted to it
 *   (UNSUBSCRIBE_LINK_RATE_LIMIT).
 * Every POST counts in its address's budget. Once that is spent, only an unsubscribe with an
 * authentic link is still admitted: mailbox providers post RFC 8058 one-clicks from a few
 * shared addresses and do not reliably post a refused one again, so refusing one lost an
 * opt-out. The link's own budget bounds those instead (the same link posted again and again).
 */
import { instanceCallLimits } from '../cluster/instance-limits.js';
import { UNSUBSCRIBE_RATE_WINDOW_MS } from '../config/one-click.settings.js';
import { clientLimitKey } from '../http/networks.js';
import type { CallLimits } from '../limits/call-limits.js';
import { Refusal } from './refusals.js';

export interface LinkBudgetLimits {
  /** POSTs per client address per minute (one-click, the page's buttons); 0: no limit. */
  rateLimit: number;
  /** GETs and HEADs of the page per client address per minute, counted apart; 0: no limit. */
  pageRateLimit: number;
  /** Unsubscribe POSTs per link per minute, whatever the address; 0: no limit. */
  linkRateLimit: number;
}

/** A request refused by a budget; `unread`: its body was not read (the connection closes). */
export function rateLimited(unread: boolean, reason = 'rate_limited'): Refusal {
  return new Refusal(429, reason, { kind: 'busy' }, unread);
}

/** Whether the limits admit one more call of `key` (counting it when they do). */
function admits(limits: CallLimits, key: string): boolean {
  try {
    limits.admit(key)();
    return true;
  } catch {
    return false;
  }
}

export class LinkBudgets {
  private readonly posts: CallLimits;
  private readonly reads: CallLimits;
  private readonly links: CallLimits;

  constructor(limits: LinkBudgetLimits) {
    const perMinute = (rateLimitCalls: number) => ({
      rateLimitCalls,
      rateWindowMs: UNSUBSCRIBE_RATE_WINDOW_MS,
      concurrencyLimit: 0,
    });
    this.posts = instanceCallLimits('link', perMinute(limits.rateLimit));
    this.reads = instanceCallLimits('link-page', perMinute(limits.pageRateLimit));
    this.links = instanceCallLimits('link-token', perMinute(limits.linkRateLimit));
  }

  /** A GET or HEAD of the page: throws once its client address has spent the reads' budget. */
  read(ip: string | undefined): void {
    if (!admits(this.reads, clientLimitKey(ip))) throw rateLimited(true);
  }

  /**
   * A POST, counted in its client address's budget before the token is looked at. False once
   * that budget is spent: the caller then refuses it unless it is an authentic unsubscribe.
   */
  countPost(ip: string | undefined): boolean {
    return admits(this.posts, clientLimitKey(ip));
  }

  /** An unsubscribe with an authentic link (its body read): throws past the link's budget. */
  unsubscribe(linkId: string): void {
    if (!admits(this.links, linkId)) throw rateLimited(false, 'link_rate_limited');
  }
}
