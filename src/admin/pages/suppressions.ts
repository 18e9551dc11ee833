import type { JobRecord, StatusFilter } from '../../domain/records.js';
import type { ImportJobStatus } from '../../domain/suppression-import-job.js';
import { LIST_COUNT_CAP, type SuppressionListPage } from '../../domain/suppression.service.js';
import { html, type HtmlValue } from '../html.js';
import {
  addressUrl,
  csrfInput,
  flag,
  formatTime,
  layout,
  pager,
  personUrl,
  selected,
  withQuery,
  type PageSession,
  refreshNote,
  jobStateText,
  textField,
} from '../layout.js';
import { table } from '../table.js';

/** The list's filters as the form and the links carry them (text, as typed). */
export interface SuppressionQuery {
  status: string;
  reason: string;
  source: string;
  from: string;
  to: string;
  address: string;
}

export const SUPPRESSION_QUERY_FIELDS = ['status', 'reason', 'source', 'from', 'to', 'address'];

const filterField = (
  id: keyof SuppressionQuery,
  label: string,
  q: SuppressionQuery,
  type?: string,
) => textField('f', id, label, q[id], { type });

export function suppressionsPage(options: {
  session: PageSession;
  query: SuppressionQuery;
  filter: StatusFilter;
  list: SuppressionListPage;
  first: boolean;
  imports: JobRecord[];
}): string {
  const { session, query: q, list } = options;
  const filterQuery = Object.fromEntries(
    SUPPRESSION_QUERY_FIELDS.map((k) => [k, q[k as keyof SuppressionQuery]]),
  );
  const next = list.next
    ? withQuery('/admin/suppressions', {
        ...filterQuery,
        after_at: list.next.changedAt,
        after_key: list.next.emailKey,
      })
    : null;
  const total = list.total >= LIST_COUNT_CAP ? `${LIST_COUNT_CAP} or more` : String(list.total);
  return layout({
    title: 'Suppressions',
    current: '/admin/suppressions',
    session,
    body: html`<h1>Suppressions</h1>
      <form method="get" action="/admin/suppressions" class="filters" role="search">
        <div class="row">
          <div class="field">
            <label for="f-status">Status</label>
            <select id="f-status" name="status">
              <option value="" ${selected(q.status === '')}>Any</option>
              <option value="unsubscribed" ${selected(q.status === 'unsubscribed')}>
                Unsubscribed
              </option>
              <option value="subscribed" ${selected(q.status === 'subscribed')}>
                Re-subscribed
              </option>
            </select>
          </div>
          ${filterField('reason', 'Reason contains', q)}
          ${filterField('source', 'Source or operator contains', q)}
          ${filterField('address', 'Address contains', q)}
          ${filterField('from', 'Recorded from (UTC)', q, 'date')}
          ${filterField('to', 'Recorded to (UTC)', q, 'date')}
        </div>
        <p class="row">
          <button type="submit">Filter</button>
          <a href="/admin/suppressions">Clear filters</a>
          <a href="${withQuery('/admin/suppressions/export.csv', filterQuery)}"
            >Export these as CSV</a
          >
        </p>
      </form>
      <p role="status">
        <strong>${total}</strong> ${list.total === 1 ? 'address matches' : 'addresses match'}.
      </p>
      ${table({
        caption: 'Master status, newest change first',
        empty: 'No address matches these filters.',
        rows: list.rows,
        columns: [
          {
            label: 'Address',
            cell: (s) => html`<a href="${addressUrl(s.emailKey)}">${s.emailKey}</a>`,
          },
          { label: 'Status', cell: (s) => flag(s.unsubscribed) },
          { label: 'Reason', cell: (s) => s.reason ?? '—' },
          { label: 'Source', cell: (s) => s.source },
          { label: 'Since', cell: (s) => formatTime(s.changedAt) },
          {
            label: 'Caused by',
            cell: (s) =>
              s.leadId !== null
                ? html`<a href="${personUrl(s.leadId)}">person ${s.leadId}</a>`
                : '—',
          },
        ],
      })}
      ${pager([
        ['Newest first', options.first ? null : withQuery('/admin/suppressions', filterQuery)],
        ['Next page', next],
      ])}
      <section aria-labelledby="import-heading" class="box">
        <h2 id="import-heading">Import a suppression list</h2>
        <form method="post" action="/admin/suppressions/import" enctype="multipart/form-data">
          ${csrfInput(session.csrfToken)}
          <div class="field">
            <label for="file">CSV file</label>
            <input
              type="file"
              id="file"
              name="file"
              accept=".csv,text/csv"
              required
              aria-describedby="file-hint"
            />
          </div>
          <p class="hint" id="file-hint">
            A header line with <code>email</code>, and optionally <code>reason</code>,
            <code>source</code>, <code>date</code> (ISO 8601): the same format as the command line's
            <code>suppressions import</code>. Importing a file twice changes nothing the second
            time.
          </p>
          <p><button type="submit">Import</button></p>
        </form>
        ${importsTable(options.imports)}
      </section>`,
  });
}

/** The uploaded file's name; imports from before names were kept have none. */
function fileNameText(job: JobRecord): HtmlValue {
  return job.fileName ?? html`<span class="hint">not recorded</span>`;
}

function importsTable(imports: JobRecord[]): HtmlValue {
  if (imports.length === 0) return '';
  return table({
    caption: 'Recent imports',
    empty: '',
    rows: imports,
    columns: [
      {
        label: 'Import',
        cell: (j) => html`<a href="/admin/suppressions/imports/${j.id}">#${j.id}</a>`,
      },
      { label: 'File', cell: (j) => fileNameText(j) },
      { label: 'By', cell: (j) => j.operator },
      { label: 'Started', cell: (j) => formatTime(j.createdAt) },
      { label: 'State', cell: (j) => jobStateText(j.state) },
    ],
  });
}

export function importPage(options: {
  session: PageSession;
  status: ImportJobStatus;
  /** Refreshes itself while running, unless the operator turned that off. */
  refresh?: boolean;
}): string {
  const { job, progress } = options.status;
  const running = job.state === 'running' || job.state === 'queued';
  const c = progress?.counts;
  const percent = progress ? Math.round(progress.read * 100) : 0;
  const refreshing = options.refresh ?? true;
  return layout({
    title: `Import #${job.id}`,
    session: options.session,
    refreshSeconds: running && refreshing ? 2 : undefined,
    body: html`<h1>Import #${job.id}</h1>
      <p role="status">
        ${
          running
            ? html`Running: ${percent}% of the file read.
              ${refreshNote(`/admin/suppressions/imports/${job.id}`, refreshing)}`
            : job.state === 'done'
              ? 'Finished.'
              : html`Stopped: ${job.message ?? 'unknown cause'}`
        }
      </p>
      ${running ? html`<progress max="100" value="${percent}" aria-label="File read">${percent}%</progress>` : ''}
      <dl class="fields">
        <dt>File</dt>
        <dd>${fileNameText(job)}</dd>
        <dt>By</dt>
        <dd>${job.operator}</dd>
        <dt>Started</dt>
        <dd>${formatTime(job.createdAt)}</dd>
        <dt>Lines read</dt>
        <dd>${c?.rows ?? 0}</dd>
        <dt>Addresses suppressed</dt>
        <dd>${c?.suppressed ?? 0}</dd>
        <dt>Already suppressed</dt>
        <dd>${c?.alreadySuppressed ?? 0}</dd>
        <dt>People unsubscribed</dt>
        <dd>${c?.peopleUnsubscribed ?? 0}</dd>
        <dt>Rejected lines</dt>
        <dd>
          ${c?.rejected ?? 0}
          ${
            c && c.rejected > 0
              ? html` ·
                  <a href="/admin/suppressions/imports/${job.id}/rejects.csv"
                    >Download the rejected lines (CSV)</a
                  >`
              : ''
          }
        </dd>
      </dl>
      <p><a href="/admin/suppressions">Back to the suppressions</a></p>`,
  });
}
