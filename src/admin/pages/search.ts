import type { LeadView } from '../../domain/lead.types.js';
import { html, type HtmlValue } from '../html.js';
import { addressUrl, flag, layout, personUrl, type PageSession } from '../layout.js';
import { table } from '../table.js';

function attribute(lead: LeadView, name: string): string | null {
  return lead.attributes.find((a) => a.name === name)?.value ?? null;
}

export function displayName(lead: LeadView): string {
  return [attribute(lead, 'FirstName'), attribute(lead, 'LastName')].filter(Boolean).join(' ');
}

export function searchPage(options: {
  session: PageSession;
  query: string;
  results: LeadView[] | null;
  total: number;
  email: string | null;
}): string {
  const { query, results, email, total } = options;
  let found: HtmlValue = '';
  if (results !== null) {
    const addressLink = email
      ? html`<p>
          See the <a href="${addressUrl(email)}">master status and history of ${email}</a>.
        </p>`
      : '';
    found =
      results.length === 0
        ? html`<p role="status">Nobody matches <strong>${query}</strong>.</p>
            ${addressLink}`
        : html`<p role="status">
              ${total} ${total === 1 ? 'person matches' : 'people match'}
              <strong>${query}</strong>${
                total > results.length
                  ? html`; the first ${results.length} are shown, the address page has them all`
                  : ''
              }.
            </p>
            ${addressLink}
            ${table({
              caption: 'People found',
              empty: '',
              rows: results,
              columns: [
                {
                  label: 'Id',
                  narrow: true,
                  cell: (l) => html`<a href="${personUrl(l.id)}">${l.id}</a>`,
                },
                { label: 'Email', cell: (l) => l.email ?? '—' },
                { label: 'Name', cell: (l) => displayName(l) || '—' },
                { label: 'Partition', cell: (l) => l.partition },
                { label: 'Foreign id', cell: (l) => l.foreignSysPersonId ?? '—' },
                { label: 'Status', cell: (l) => flag(l.unsubscribed) },
              ],
            })}`;
  }
  return layout({
    title: query ? `Find people: ${query}` : 'Find people',
    current: '/admin/',
    session: options.session,
    body: html`<h1>Find people</h1>
      <form method="get" action="/admin/" role="search">
        <div class="row">
          <div class="field">
            <label for="q">Email, id or foreign id</label>
            <input
              type="search"
              id="q"
              name="q"
              value="${query}"
              aria-describedby="q-hint"
              required
            />
          </div>
          <button type="submit">Search</button>
        </div>
        <p class="hint" id="q-hint">
          Emails match whatever their case; a number finds that id and that foreign id.
        </p>
      </form>
      ${found}`,
  });
}
