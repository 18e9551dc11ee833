import { liftedText, type AddressReport } from '../domain/durable-status.service.js';

const when = (ms: number) => new Date(ms).toISOString();

/** The `explain` answer, for a person reading a terminal. */
export function formatAddressReport(report: AddressReport): string {
  const out: string[] = [`Address key: ${report.emailKey}`];
  if (!report.status) {
    out.push('Master status: none (never unsubscribed; the address counts as subscribed)');
  } else {
    const s = report.status;
    out.push(
      `Master status: ${s.unsubscribed ? 'UNSUBSCRIBED' : 'subscribed'} since ${when(s.changedAt)}`,
      `  reason: ${s.reason ?? '-'}`,
      `  source: ${s.source}${s.leadId === null ? '' : `, caused by lead ${s.leadId}`}`,
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
      `  ${when(h.changedAt)}  ${h.unsubscribed ? 'unsubscribed' : 'subscribed  '}  ${h.source}` +
        `${h.leadId === null ? '' : `, lead ${h.leadId}`}${h.reason ? ` — ${h.reason}` : ''}` +
        `${liftedText(h) ? ` (${liftedText(h)})` : ''}`,
    );
  }
  out.push('', `People holding it (${report.leads.length}):`);
  for (const l of report.leads) {
    out.push(
      `  lead ${l.id}  partition ${l.partition}  ${l.unsubscribed ? 'Unsubscribed' : 'subscribed'}  <${l.email ?? ''}>` +
        `  updated ${when(l.updatedAt)}`,
    );
  }
  return out.join('\n') + '\n';
}
