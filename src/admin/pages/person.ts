import type { EmailStatusRecord, LeadRecord } from '../../domain/records.js';
import type { ActivityPage } from '../../domain/activity.service.js';
import { liftedText } from '../../domain/status-reasons.js';
import type { LeadView } from '../../domain/lead.types.js';
import { activityLabel } from '../activity-labels.js';
import { html, type HtmlValue, type SafeHtml } from '../html.js';
import {
  addressUrl,
  csrfInput,
  flag,
  formatTime,
  layout,
  liftConfirmation,
  notice,
  pager,
  reasonSentence,
  personUrl,
  selected,
  STATUS_VERSION_FIELD,
  withQuery,
  type PageSession,
} from '../layout.js';
import { table } from '../table.js';
import { peopleTable } from './people-table.js';
import { displayName } from './search.js';

export type SavedOutcome = 'unsubscribed' | 'resubscribed' | 'unchanged' | 'recorded';

/** Who else holds a person's address: a first page of them and how many in all. */
export interface Sharing {
  people: LeadRecord[];
  count: number;
  partitions: number;
}

/** Activity types an operator filters the log by (enum name, label). */
export const ACTIVITY_FILTERS: ReadonlyArray<[string, string]> = [
  ['ChangeDataValue', 'Change Data Value'],
  ['NewLead', 'New Lead'],
  ['DeleteLead', 'Delete Lead'],
];

function savedNotice(outcome: SavedOutcome | null, lead: LeadView): HtmlValue {
  if (outcome === null) return '';
  const everyone = lead.email
    ? html`every person with ${lead.email}, in every partition`
    : html`this person only: it has no address`;
  return notice(
    outcome === 'unchanged'
      ? html`Nothing to change: the box already said so.`
      : outcome === 'recorded'
        ? lead.email
          ? html`Saved: the box already said so; the master status now records this reason.`
          : html`Saved: the box already said so; the person now keeps this reason.`
        : outcome === 'unsubscribed'
          ? html`Saved: unsubscribed, and so is ${everyone}.`
          : html`Saved: re-subscribed, and so is ${everyone}.`,
  );
}

/** " This re-subscribe lifted a complaint suppression of 2026-03-01.", or nothing. */
export function liftedNote(status: EmailStatusRecord): HtmlValue {
  const lifted = status.unsubscribed ? null : liftedText(status);
  return lifted ? html` This re-subscribe ${lifted}.` : '';
}

function masterLine(lead: LeadView, master: EmailStatusRecord | null): SafeHtml {
  if (!lead.email) return html`This person has no address, so only its own box changes.`;
  const link = html`<a href="${addressUrl(lead.email)}">${lead.email}</a>`;
  return master
    ? html`Master status of ${link}: ${flag(master.unsubscribed)} since
      ${formatTime(master.changedAt)}. ${reasonSentence(master.reason)} Source:
      ${master.source}.${liftedNote(master)}`
    : html`Master status of ${link}: never set (subscribed).`;
}

function activityTable(page: ActivityPage): SafeHtml {
  return table({
    caption: 'Newest first',
    empty: 'No activities.',
    rows: page.activities,
    columns: [
      { label: 'When', narrow: true, cell: (a) => formatTime(a.createdAt) },
      { label: 'What', cell: (a) => activityLabel(a, page.activities) },
      { label: 'By', narrow: true, cell: (a) => a.actor ?? '—' },
      {
        label: 'Vendor record',
        cell: (a) =>
          html`<details>
            <summary>${a.activityType}</summary>
            <dl class="attrs">
              ${a.attributes.map(
                ([name, value]) =>
                  html`<dt>${name}</dt>
                    <dd>${value}</dd>`,
              )}
            </dl>
          </details>`,
      },
    ],
  });
}

export function personPage(options: {
  session: PageSession;
  lead: LeadView;
  master: EmailStatusRecord | null;
  sharing: Sharing | null;
  activities: ActivityPage;
  before: number | null;
  type: string;
  saved: SavedOutcome | null;
  /** The name operators know a field by (the activity log's Attribute Name). */
  fieldLabel?: (name: string) => string;
}): string {
  const { session, lead } = options;
  const name = displayName(lead);
  return layout({
    title: `Person ${lead.id}`,
    session,
    body: html`${savedNotice(options.saved, lead)}
      <h1>Person ${lead.id}${name ? html` · ${name}` : ''}</h1>
      ${fieldsSection(lead, options.fieldLabel)}
      ${unsubscribeSection(session, lead, options.master)} ${sharingSection(lead, options.sharing)}
      ${activitySection(lead, options)}`,
  });
}

/** The person's fields, Unsubscribed and its reason left to the box below them. */
function fieldsSection(lead: LeadView, fieldLabel?: (name: string) => string): HtmlValue {
  const shown = lead.attributes.filter(
    (a) => a.name !== 'Unsubscribed' && a.name !== 'UnsubscribedReason',
  );
  return html`<section aria-labelledby="fields-heading">
    <h2 id="fields-heading">Fields</h2>
    <dl class="fields">
      <dt>Id</dt>
      <dd>${lead.id}</dd>
      <dt>Email</dt>
      <dd>${lead.email ? html`<a href="${addressUrl(lead.email)}">${lead.email}</a>` : '—'}</dd>
      <dt>Partition</dt>
      <dd>${lead.partition}</dd>
      <dt>Foreign id</dt>
      <dd>
        ${
          lead.foreignSysPersonId
            ? html`${lead.foreignSysPersonId} (${lead.foreignSysType ?? 'CUSTOM'})`
            : '—'
        }
      </dd>
      <dt>Created</dt>
      <dd>${formatTime(lead.createdAt)}</dd>
      <dt>Updated</dt>
      <dd>${formatTime(lead.updatedAt)}</dd>
      ${shown.map(
        (a) =>
          html`<dt>${fieldLabel ? fieldLabel(a.name) : a.name}</dt>
            <dd>${a.value}</dd>`,
      )}
    </dl>
  </section>`;
}

/** The master status, the person's box and the form that changes it. */
function unsubscribeSection(
  session: PageSession,
  lead: LeadView,
  master: EmailStatusRecord | null,
): HtmlValue {
  const reason = lead.attributes.find((a) => a.name === 'UnsubscribedReason')?.value ?? '';
  const base = personUrl(lead.id);
  return html`<section aria-labelledby="unsubscribe-heading" class="box">
    <h2 id="unsubscribe-heading">Unsubscribe</h2>
    <p>${masterLine(lead, master)}</p>
    <p>This person's box: ${flag(lead.unsubscribed)}. ${reasonSentence(reason)}</p>
    <form method="post" action="${base}/unsubscribed">
      ${csrfInput(session.csrfToken)}
      <p>
        <input
          type="checkbox"
          id="unsubscribed"
          name="unsubscribed"
          value="true"
          ${lead.unsubscribed ? html` checked` : ''}
        />
        <label for="unsubscribed">Unsubscribed</label>
      </p>
      <div class="field">
        <label for="reason">Reason for this change</label>
        <input
          type="text"
          id="reason"
          name="reason"
          value=""
          maxlength="4000"
          aria-describedby="reason-hint"
        />
      </div>
      <p class="hint" id="reason-hint">
        Saving first shows whom the change reaches, then applies the durable rules on confirmation:
        ${
          lead.email
            ? html`every person with ${lead.email} follows, in every partition`
            : 'this person has no address'
        }.
        It is recorded as “Person detail” by ${session.operator}.
      </p>
      <p><button type="submit">Save</button></p>
    </form>
  </section>`;
}

/** Who else holds the address, or nothing. */
function sharingSection(lead: LeadView, sharing: Sharing | null): HtmlValue {
  return sharing
    ? html`<section aria-labelledby="sharing-heading">
        <h2 id="sharing-heading">
          Others with this address (${sharing.count} in ${sharing.partitions}
          ${sharing.partitions === 1 ? 'partition' : 'partitions'})
        </h2>
        ${peopleTable(sharing.people, 'Every partition, by id')}
        ${
          sharing.count > sharing.people.length
            ? html`<p>
                <a href="${addressUrl(lead.email!)}">All ${sharing.count} on the address page</a>
              </p>`
            : ''
        }
      </section>`
    : '';
}

/** The activity log: a page of it, filtered by type, with the way to older and newest. */
function activitySection(
  lead: LeadView,
  options: { activities: ActivityPage; before: number | null; type: string },
): HtmlValue {
  const { activities, before } = options;
  const last = activities.activities[activities.activities.length - 1];
  const base = personUrl(lead.id);
  const older =
    activities.remainingCount > 0 && last
      ? withQuery(base, { type: options.type, before: last.id }) + '#activity'
      : null;
  const newest = before !== null ? withQuery(base, { type: options.type }) + '#activity' : null;
  return html`<section aria-labelledby="activity-heading" id="activity">
    <h2 id="activity-heading">Activity log</h2>
    <form method="get" action="${base}#activity" class="row">
      <div class="field">
        <label for="type">Activity type</label>
        <select id="type" name="type">
          <option value="">All</option>
          ${ACTIVITY_FILTERS.map(
            ([value, label]) =>
              html`<option value="${value}" ${selected(options.type === value)}>${label}</option>`,
          )}
        </select>
      </div>
      <button type="submit">Filter</button>
    </form>
    ${activityTable(activities)}
    ${pager([
      ['Newest activities', newest],
      [`Older activities (${activities.remainingCount} more)`, older],
    ])}
  </section>`;
}

/** The Unsubscribed change before it is saved: whom it reaches, then a confirm button. */
export function personConfirmPage(options: {
  session: PageSession;
  lead: LeadView;
  unsubscribed: boolean;
  reason: string;
  holders: Sharing | null;
  /** The protected reason the change lifts: its address's, or a person's without one. */
  protectedReason: string | null;
  /** The change lifts a suppression only an operator may lift, with a confirmation. */
  liftsProtected: boolean;
  /** Why the confirmation is asked again (a complaint recorded since the page was shown). */
  refused?: string;
  /** A re-subscribe: the statusVersion of the address's suppression it lifts. */
  statusVersion?: string;
}): string {
  const { session, lead, unsubscribed, holders } = options;
  const verb = unsubscribed ? 'unsubscribes' : 're-subscribes';
  const lifting = !unsubscribed && options.liftsProtected;
  const reasonShown = options.protectedReason ?? 'protected reason';
  const reach = holders
    ? html`<p>
          This ${verb} <strong>${holders.count}</strong>
          ${holders.count === 1 ? 'person' : 'people'} on ${lead.email} in
          <strong>${holders.partitions}</strong>
          ${holders.partitions === 1 ? 'partition' : 'partitions'}.
        </p>
        ${peopleTable(
          holders.people,
          holders.count > holders.people.length
            ? `The first ${holders.people.length} of ${holders.count}`
            : 'Everyone it reaches',
        )}`
    : html`<p>This ${verb} person ${lead.id} only: it has no address.</p>`;
  return layout({
    title: `Confirm: person ${lead.id}`,
    session,
    refused: options.refused !== undefined,
    body: html`<h1>Confirm the change to person ${lead.id}</h1>
      ${options.refused && !lifting ? html`<p class="error" role="alert">${options.refused}</p>` : ''}
      ${reach}
      <form method="post" action="${personUrl(lead.id)}/unsubscribed" class="box">
        ${csrfInput(session.csrfToken)}
        <input type="hidden" name="confirm" value="yes" />
        ${unsubscribed ? html`<input type="hidden" name="unsubscribed" value="true" />` : ''}
        ${
          options.statusVersion !== undefined
            ? html`<input
                type="hidden"
                name="${STATUS_VERSION_FIELD}"
                value="${options.statusVersion}"
              />`
            : ''
        }
        <input type="hidden" name="reason" value="${options.reason}" />
        <p>${options.reason ? html`Reason: ${options.reason}` : 'No reason given.'}</p>
        ${
          lifting
            ? liftConfirmation(
                lead.email
                  ? html`The address was suppressed for a <strong>${reasonShown}</strong>. Lifting
                      it needs your explicit confirmation.`
                  : html`This person, without an address, was unsubscribed for a
                      <strong>${reasonShown}</strong>. Lifting it needs your explicit confirmation.`,
                `I confirm lifting a ${reasonShown} suppression`,
                options.refused,
              )
            : ''
        }
        <p class="row">
          <button type="submit">Confirm: ${unsubscribed ? 'unsubscribe' : 're-subscribe'}</button>
          <a href="${personUrl(lead.id)}">Cancel</a>
        </p>
      </form>`,
  });
}
