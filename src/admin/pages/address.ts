import { liftedText } from '../../domain/status-reasons.js';
import { liftedNote } from './person.js';
import type { AddressPage } from '../../domain/address-views.js';
import { statusVersion } from '../../domain/master-status.js';
import { html, type HtmlValue } from '../html.js';
import {
  csrfInput,
  fieldAria,
  fieldError,
  flag,
  formatTime,
  layout,
  liftConfirmation,
  notice,
  pager,
  reasonSentence,
  personUrl,
  STATUS_VERSION_FIELD,
  withQuery,
  type PageSession,
} from '../layout.js';
import { table } from '../table.js';
import { peopleTable } from './people-table.js';

export type AddressSaved = 'unsubscribed' | 'resubscribed' | 'unchanged';

/** A refused change of the address's status, and the field it is about. */
export interface AddressError {
  text: string;
  field: 'reason' | 'lift';
}

/** The form that suppresses or lifts the address; `confirm` when lifting a protected reason. */
function statusForm(
  session: PageSession,
  page: AddressPage,
  options: { reason?: string; error?: AddressError },
): HtmlValue {
  const suppressed = page.status?.unsubscribed === true;
  const lifting = suppressed && page.statusProtected;
  const error = options.error;
  // A refusal is said beside the field it is about: the reason, or the lift's confirmation.
  const about = (field: AddressError['field']) =>
    error?.field === field || (field === 'reason' && error !== undefined && !lifting)
      ? error?.text
      : undefined;
  return html`<form method="post" action="/admin/address/status" class="box">
    <h2>${suppressed ? 'Lift the suppression' : 'Suppress this address'}</h2>
    ${csrfInput(session.csrfToken)}
    <input type="hidden" name="email" value="${page.emailKey}" />
    <input type="hidden" name="unsubscribed" value="${suppressed ? 'false' : 'true'}" />
    ${
      suppressed
        ? html`<input
            type="hidden"
            name="${STATUS_VERSION_FIELD}"
            value="${statusVersion(page.status)}"
          />`
        : ''
    }
    <div class="field">
      <label for="status-reason">Reason (required)</label>
      ${about('reason') ? fieldError('status-reason', about('reason')) : ''}
      <input
        type="text"
        id="status-reason"
        name="reason"
        value="${options.reason ?? ''}"
        maxlength="1000"
        required
        ${fieldAria('status-reason', 'status-hint', about('reason') !== undefined)}
      />
    </div>
    <p class="hint" id="status-hint">
      ${suppressed ? 'Re-subscribes' : 'Unsubscribes'} the address in the master status and every
      person holding it (${page.peopleCount} now), in every partition; recorded as “Address status”
      by ${session.operator}.
    </p>
    ${
      lifting
        ? liftConfirmation(
            html`Suppressed for a <strong>${page.status!.reason}</strong>: lifting it needs your
              explicit confirmation.`,
            `I confirm lifting a ${page.status!.reason} suppression`,
            about('lift'),
          )
        : ''
    }
    <p>
      <button type="submit">${suppressed ? 'Lift the suppression' : 'Suppress the address'}</button>
    </p>
  </form>`;
}

export function addressPage(options: {
  session: PageSession;
  query: string;
  page: AddressPage | null;
  saved?: AddressSaved | null;
  /** The first page of history/people links back here. */
  historyBefore?: number | null;
  peopleAfter?: number;
  error?: AddressError;
  /** The reason the operator typed, kept when the form is shown again (a refused change). */
  reason?: string;
}): string {
  const { page, session } = options;
  let body: HtmlValue = '';
  if (page) {
    const status = page.status;
    const self = (q: Record<string, string | number | null>) =>
      withQuery('/admin/address', { email: page.emailKey, ...q });
    const statusText = status
      ? html`${flag(status.unsubscribed)} since ${formatTime(status.changedAt)}.
        ${reasonSentence(status.reason)} Source: ${status.source}.${liftedNote(status)}
        ${
          status.leadId !== null
            ? html`Caused by <a href="${personUrl(status.leadId)}">person ${status.leadId}</a>.`
            : ''
        }`
      : html`${flag(false)}: this address has never been unsubscribed or re-subscribed.`;
    const kept = page.keptUnder;
    // An opt-out recorded under the earlier key, which read this spelling and that one alike.
    const keptText = kept
      ? html`<p>
          Kept under the earlier key <strong>${kept}</strong>: recorded there before keys told
          ${page.emailKey} from ${kept}, it counts for this address until the address has a status
          of its own. Its history below is the earlier key's.
        </p>`
      : '';
    body = html`<section aria-labelledby="status-heading" class="box">
        <h2 id="status-heading">Master status of ${page.emailKey}</h2>
        <p>${statusText}</p>
        ${keptText}
      </section>
      ${statusForm(session, page, { reason: options.reason ?? '', error: options.error })}
      <section aria-labelledby="people-heading">
        <h2 id="people-heading">
          People with this address (${page.peopleCount} in ${page.partitions}
          ${page.partitions === 1 ? 'partition' : 'partitions'})
        </h2>
        ${peopleTable(page.people, 'Every partition, by id')}
        ${pager([
          ['First people', options.peopleAfter ? self({}) : null],
          [
            'More people',
            page.morePeople !== null
              ? self({
                  people_after: page.morePeople,
                  history_before: options.historyBefore ?? null,
                })
              : null,
          ],
        ])}
      </section>
      <section aria-labelledby="history-heading">
        <h2 id="history-heading">
          ${kept ? html`History kept under ${kept}` : 'History'} (${page.historyCount})
        </h2>
        ${table({
          caption: kept
            ? `Newest first; changes there since keys told the two apart are of ${kept} alone`
            : 'Newest first',
          empty: 'No changes recorded.',
          rows: page.history,
          columns: [
            { label: 'When', cell: (h) => formatTime(h.changedAt) },
            { label: 'Status', cell: (h) => flag(h.unsubscribed) },
            {
              label: 'Reason',
              cell: (h) =>
                html`${h.reason ?? '—'}${liftedText(h) ? html`<br />${liftedText(h)}` : ''}`,
            },
            { label: 'Source', cell: (h) => h.source },
            {
              label: 'Caused by',
              cell: (h) =>
                h.leadId !== null
                  ? html`<a href="${personUrl(h.leadId)}">person ${h.leadId}</a>`
                  : '—',
            },
          ],
        })}
        ${pager([
          ['Newest changes', options.historyBefore ? self({}) : null],
          [
            'Older changes',
            page.olderHistory !== null
              ? self({
                  history_before: page.olderHistory,
                  people_after: options.peopleAfter ?? null,
                })
              : null,
          ],
        ])}
      </section>`;
  }
  const saved = options.saved
    ? notice(
        options.saved === 'unchanged'
          ? 'Nothing to change: the address already had that status.'
          : options.saved === 'unsubscribed'
            ? 'Saved: the address is suppressed, and so is everyone holding it.'
            : 'Saved: the suppression is lifted, for everyone holding the address.',
      )
    : '';
  return layout({
    title: page ? `Address ${page.emailKey}` : 'Address status',
    current: '/admin/address',
    session,
    refused: options.error !== undefined,
    body: html`${saved}
      <h1>Address status</h1>
      <form method="get" action="/admin/address" role="search">
        <div class="row">
          <div class="field">
            <label for="email">Email address</label>
            <input
              type="search"
              id="email"
              name="email"
              value="${options.query}"
              required
              aria-describedby="email-hint"
            />
          </div>
          <button type="submit">Look up</button>
        </div>
        <p class="hint" id="email-hint">
          Why is an address unsubscribed? Its master status, every change to it, and everyone
          holding it. An address nobody holds can be suppressed too.
        </p>
      </form>
      ${body}`,
  });
}
