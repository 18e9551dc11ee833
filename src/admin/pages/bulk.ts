import type { JobRecord } from '../../domain/records.js';
import type { BulkJobStatus, BulkPreview } from '../../domain/bulk-change.service.js';
import { html } from '../html.js';
import {
  csrfInput,
  errorNote,
  fieldAria,
  fieldError,
  formatTime,
  layout,
  liftConfirmation,
  personUrl,
  selected,
  jobStateText,
  textField,
  type PageSession,
  refreshNote,
} from '../layout.js';
import { table } from '../table.js';
import { peopleTable } from './people-table.js';

/** The bulk form as typed: it travels through the preview as hidden fields. */
export interface BulkForm {
  email: string;
  partition: string;
  createdFrom: string;
  createdTo: string;
  updatedFrom: string;
  updatedTo: string;
  status: string;
  list: string;
  field: string;
  value: string;
  reason: string;
}

export const BULK_FORM_FIELDS: ReadonlyArray<keyof BulkForm> = [
  'email',
  'partition',
  'createdFrom',
  'createdTo',
  'updatedFrom',
  'updatedTo',
  'status',
  'list',
  'field',
  'value',
  'reason',
];

/** The hidden fields a preview's confirmation carries its point in (BulkPreview.liftStart). */
export const PREVIEW_HISTORY_FIELD = 'previewHistoryId';
export const PREVIEW_AT_FIELD = 'previewAt';

/** A refusal of the form: its words, and the field it is about (its name), if one. */
export interface BulkRefusal {
  message: string;
  field?: string;
}

export function bulkPage(options: {
  session: PageSession;
  form: BulkForm;
  fields: Array<{ name: string; label: string }>;
  jobs: JobRecord[];
  error?: BulkRefusal;
}): string {
  const { session, form, error } = options;
  // A refusal about a field is said beside it; one about the form as a whole, above it.
  const onField = error?.field !== undefined && BULK_FORM_FIELDS.some((f) => f === error.field);
  const errorOf = (name: keyof BulkForm) =>
    onField && error?.field === name ? error.message : undefined;
  const input = (id: keyof BulkForm, label: string, more: { type?: string; hint?: string } = {}) =>
    textField('b', id, label, form[id], { ...more, error: errorOf(id) });
  const errorAt = (name: keyof BulkForm) => {
    const text = errorOf(name);
    return text === undefined ? '' : fieldError(`b-${name}`, text);
  };
  const aria = (name: keyof BulkForm, hint: string | null) =>
    fieldAria(`b-${name}`, hint, errorOf(name) !== undefined);
  return layout({
    title: 'Change Data Value',
    current: '/admin/bulk',
    session,
    refused: error !== undefined,
    body: html`<h1>Change Data Value on one or more people</h1>
      ${error && !onField ? errorNote(error.message) : ''}
      <form method="post" action="/admin/bulk/preview">
        ${csrfInput(session.csrfToken)}
        <fieldset>
          <legend>Whom: a search…</legend>
          <div class="row">
            ${input('email', 'Address contains')} ${input('partition', 'Partition')}
            <div class="field">
              <label for="b-status">Current status</label>
              ${errorAt('status')}
              <select id="b-status" name="status" ${aria('status', null)}>
                <option value="" ${selected(form.status === '')}>Any</option>
                <option value="unsubscribed" ${selected(form.status === 'unsubscribed')}>
                  Unsubscribed
                </option>
                <option value="subscribed" ${selected(form.status === 'subscribed')}>
                  Subscribed
                </option>
              </select>
            </div>
          </div>
          <div class="row">
            ${input('createdFrom', 'Created from (UTC)', { type: 'date' })}
            ${input('createdTo', 'Created to (UTC)', { type: 'date' })}
            ${input('updatedFrom', 'Updated from (UTC)', { type: 'date' })}
            ${input('updatedTo', 'Updated to (UTC)', { type: 'date' })}
          </div>
        </fieldset>
        <fieldset>
          <legend>…or a list</legend>
          <div class="field">
            <label for="b-list">Person ids or addresses, one per line</label>
            ${errorAt('list')}
            <textarea id="b-list" name="list" rows="5" ${aria('list', 'list-hint')}>
${form.list}</textarea>
          </div>
          <p class="hint" id="list-hint">
            When a list is given, the search is ignored. At most 10,000 entries; an address stands
            for every person holding it.
          </p>
        </fieldset>
        <fieldset>
          <legend>What</legend>
          <div class="row">
            <div class="field">
              <label for="b-field">Field</label>
              ${errorAt('field')}
              <select id="b-field" name="field" ${aria('field', null)}>
                ${options.fields.map(
                  (f) =>
                    html`<option value="${f.name}" ${selected(form.field === f.name)}>
                      ${f.label}
                    </option>`,
                )}
              </select>
            </div>
            ${input('value', 'New value', { hint: 'what-hint' })}
            ${input('reason', 'Reason (Unsubscribed only)')}
          </div>
          <p class="hint" id="what-hint">
            Unsubscribed takes true or false. Nothing is changed before you confirm the preview.
          </p>
        </fieldset>
        <p><button type="submit">Preview</button></p>
      </form>
      ${
        options.jobs.length > 0
          ? table({
              caption: 'Recent runs',
              empty: '',
              rows: options.jobs,
              columns: [
                {
                  label: 'Run',
                  cell: (j) => html`<a href="/admin/bulk/jobs/${j.id}">#${j.id}</a>`,
                },
                { label: 'By', cell: (j) => j.operator },
                { label: 'Started', cell: (j) => formatTime(j.createdAt) },
                { label: 'People', cell: (j) => j.totalItems },
                { label: 'State', cell: (j) => jobStateText(j.state) },
              ],
            })
          : ''
      }`,
  });
}

/**
 * What the lift confirmation asks about: the addresses suppressed for a complaint, and the
 * people without an address whose own reason is one (no address's status holds theirs).
 */
function protectedSummary(preview: BulkPreview): string {
  const parts: string[] = [];
  if (preview.protectedAddresses > 0)
    parts.push(`${preview.protectedAddresses} of these addresses were suppressed for a complaint.`);
  const people = preview.protectedWithoutAddress;
  if (people > 0)
    parts.push(
      people === 1
        ? '1 person without an address was unsubscribed for a complaint.'
        : `${people} people without an address were unsubscribed for a complaint.`,
    );
  return parts.join(' ');
}

/** `n` and its noun, singular for one. */
const count = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

export function bulkPreviewPage(options: {
  session: PageSession;
  form: BulkForm;
  fieldLabel: string;
  preview: BulkPreview;
}): string {
  const { session, form, preview } = options;
  const { counts } = preview;
  const applyLabel = `Apply to ${counts.people} ${counts.people === 1 ? 'person' : 'people'}`;
  return layout({
    title: 'Preview: Change Data Value',
    session,
    body: html`<h1>Preview: ${options.fieldLabel} becomes “${form.value}”</h1>
      <dl class="fields">
        <dt>People selected</dt>
        <dd>
          ${count(counts.people, 'person', 'people')} in ${count(counts.partitions, 'partition')}
        </dd>
        <dt>Their addresses</dt>
        <dd>${counts.addresses}</dd>
        ${
          form.field === 'Unsubscribed'
            ? html`<dt>Others who follow</dt>
                <dd>
                  ${counts.followers} more ${counts.followers === 1 ? 'person' : 'people'} holding
                  these addresses, in ${count(counts.followerPartitions, 'other partition')},
                  ${counts.followers === 1 ? 'follows' : 'follow'} the master status
                </dd>`
            : ''
        }
      </dl>
      ${peopleTable(
        preview.sample,
        counts.people > preview.sample.length
          ? `The first ${preview.sample.length} of ${counts.people}`
          : 'Everyone selected',
      )}
      ${
        counts.people === 0
          ? html`<p>Nobody is selected: there is nothing to apply.</p>`
          : html`<form method="post" action="/admin/bulk/start" class="box">
              ${csrfInput(session.csrfToken)}
              ${BULK_FORM_FIELDS.map(
                (name) => html`<input type="hidden" name="${name}" value="${form[name]}" />`,
              )}
              ${
                preview.liftStart
                  ? html`<input
                        type="hidden"
                        name="${PREVIEW_HISTORY_FIELD}"
                        value="${preview.liftStart.historyId}"
                      />
                      <input
                        type="hidden"
                        name="${PREVIEW_AT_FIELD}"
                        value="${preview.liftStart.at}"
                      />`
                  : ''
              }
              ${
                preview.protectedAddresses + preview.protectedWithoutAddress > 0
                  ? liftConfirmation(
                      `${protectedSummary(preview)} Lifting them needs your explicit confirmation.`,
                      'I confirm lifting complaint suppressions',
                    )
                  : ''
              }
              <p>
                Applied in batches through the same rules as every other path, recorded as the
                “Change Data Value flow step” by ${session.operator}.
              </p>
              <p><button type="submit">${applyLabel}</button></p>
            </form>`
      }
      <p><a href="/admin/bulk">Start over</a></p>`,
  });
}

export function bulkJobPage(options: {
  session: PageSession;
  status: BulkJobStatus;
  /** The changed field's name as the form lists it ("First Name"). */
  fieldLabel: string;
  /** Refreshes itself while running, unless the operator turned that off. */
  refresh?: boolean;
}): string {
  const { job, totals, failures, change } = options.status;
  const running = job.state === 'queued' || job.state === 'running';
  const done = totals.changed + totals.unchanged + totals.failed;
  const percent = job.totalItems > 0 ? Math.floor((done * 100) / job.totalItems) : 100;
  const refreshing = options.refresh ?? true;
  return layout({
    title: `Change Data Value #${job.id}`,
    session: options.session,
    refreshSeconds: running && refreshing ? 2 : undefined,
    body: html`<h1>Change Data Value #${job.id}</h1>
      <p role="status">
        ${
          running
            ? html`${jobStateText(job.state)}: ${done} of ${job.totalItems} people (${percent}%).
              ${refreshNote(`/admin/bulk/jobs/${job.id}`, refreshing)}`
            : html`Finished: ${done} of ${job.totalItems} people.`
        }
      </p>
      ${
        running
          ? html`<progress max="100" value="${percent}" aria-label="People done">
              ${percent}%
            </progress>`
          : ''
      }
      <dl class="fields">
        <dt>Change</dt>
        <dd>
          ${options.fieldLabel} becomes
          “${change.value}”${change.reason ? ` (${change.reason})` : ''}
        </dd>
        <dt>By</dt>
        <dd>${job.operator}</dd>
        <dt>Started</dt>
        <dd>${formatTime(job.createdAt)}</dd>
        ${
          job.finishedAt !== null
            ? html`<dt>Finished</dt>
                <dd>${formatTime(job.finishedAt)}</dd>`
            : ''
        }
        <dt>Changed</dt>
        <dd>${totals.changed}</dd>
        <dt>Unchanged (already so)</dt>
        <dd>${totals.unchanged}</dd>
        <dt>Failed</dt>
        <dd>${totals.failed}</dd>
        <dt>Batches applied</dt>
        <dd>${totals.applied} of ${job.totalBatches}</dd>
      </dl>
      ${table({
        caption:
          failures.length < totals.failed ? `The first ${failures.length} failures` : 'Failures',
        empty: 'No failures.',
        rows: failures,
        columns: [
          { label: 'Person', cell: (f) => html`<a href="${personUrl(f.id)}">${f.id}</a>` },
          { label: 'Why', cell: (f) => f.why },
        ],
      })}
      <p><a href="/admin/bulk">Change Data Value again</a></p>`,
  });
}
