import type { LeadRecord } from '../../domain/records.js';
import { html, type HtmlValue, type SafeHtml } from '../html.js';
import { flag, formatTime, personUrl } from '../layout.js';
import { table } from '../table.js';

/** People holding an address: the address page, the person page and every confirmation. */
export function peopleTable(people: readonly LeadRecord[], caption: HtmlValue): SafeHtml {
  return table({
    caption,
    empty: 'Nobody holds this address now.',
    rows: people,
    columns: [
      { label: 'Id', narrow: true, cell: (l) => html`<a href="${personUrl(l.id)}">${l.id}</a>` },
      { label: 'Email as stored', cell: (l) => l.email ?? '—' },
      { label: 'Partition', cell: (l) => l.partition },
      { label: 'Status', cell: (l) => flag(l.unsubscribed) },
      { label: 'Updated', cell: (l) => formatTime(l.updatedAt) },
    ],
  });
}
