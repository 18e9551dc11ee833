import type { AddressReport } from '../domain/durable-status.service.js';
import { liftedText } from '../domain/status-reasons.js';

const when = (ms: number) => new Date(ms).toISOString();

// C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * A stored value as one line of plain text: a control character (a terminal escape, a newline
 * that would forge a history line) is shown as \n, \t or \u001b, never sent to the terminal.
 * Backslashes are doubled so that an escape cannot be faked either.
 */
export function printable(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(UNPRINTABLE, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** The `explain` answer, for a person reading a terminal. */
export function formatAddressReport(report: AddressReport): string {
  const p = printable;
  const out: string[] = [`Address key: ${p(report.emailKey)}`];
  if (!report.status) {
    out.push('Master status: none (never unsubscribed; the address counts as subscribed)');
  } else {
    const s = report.status;
    out.push(
      `Master status: ${s.unsubscribed ? 'UNSUBSCRIBED' : 'subscribed'} since ${when(s.changedAt)}`,
      `  reason: ${p(s.reason ?? '-')}`,
      `  source: ${p(s.source)}${s.leadId === null ? '' : `, caused by lead ${s.leadId}`}`,
    );
    const lifted = s.unsubscribed ? null : liftedText(s);
    if (lifted) out.push(`  ${lifted}`);
  }
  out.push(
    '',
    `History (${report.history.length} change${report.history.length === 1 ? '' : 's'}, oldest first):`,
  );
  for (const h of report.history) {
    out.push(
      `  ${when(h.changedAt)}  ${h.unsubscribed ? 'unsubscribed' : 'subscribed  '}  ${p(h.source)}` +
        `${h.leadId === null ? '' : `, lead ${h.leadId}`}${h.reason ? ` — ${p(h.reason)}` : ''}` +
        `${liftedText(h) ? ` (${p(liftedText(h)!)})` : ''}`,
    );
  }
  out.push('', `People holding it (${report.leads.length}):`);
  for (const l of report.leads) {
    out.push(
      `  lead ${l.id}  partition ${p(l.partition)}  ${l.unsubscribed ? 'Unsubscribed' : 'subscribed'}  <${p(l.email ?? '')}>` +
        `  updated ${when(l.updatedAt)}`,
    );
  }
  return out.join('\n') + '\n';
}
