import type { AddressReport } from '../domain/address-views.js';
import { liftedText } from '../domain/status-reasons.js';
import { printable } from './printable.js';

const when = (ms: number) => new Date(ms).toISOString();

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
    if (report.keptUnder)
      out.push(
        `  kept under the earlier key ${p(report.keptUnder)}: recorded there before keys told the two apart, it counts for this address until it has a status of its own`,
      );
  }
  const kept = report.keptUnder ? ` kept under ${p(report.keptUnder)}` : '';
  out.push(
    '',
    `History${kept} (${report.history.length} change${report.history.length === 1 ? '' : 's'}, oldest first):`,
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
