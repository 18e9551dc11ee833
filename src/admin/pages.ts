import type { ActivityPage } from '../domain/activity.service.js';
import { liftedText, type AddressReport } from '../domain/durable-status.service.js';
import type { LeadView } from '../domain/lead.types.js';
import { html, raw, type HtmlValue, type SafeHtml } from './html.js';

/** What the header needs of a logged-in operator. */
export interface PageSession {
  operator: string;
  csrfToken: string;
}

export const CSRF_FIELD = '_csrf';

export function formatTime(at: Date | number): string {
  const d = typeof at === 'number' ? new Date(at) : at;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export const personUrl = (id: number): string => `/admin/people/${id}`;
export const addressUrl = (email: string): string =>
  `/admin/address?email=${encodeURIComponent(email)}`;

const csrfInput = (token: string): SafeHtml =>
  html`<input type="hidden" name="${CSRF_FIELD}" value="${token}" />`;

function flag(unsubscribed: boolean): SafeHtml {
  return unsubscribed
    ? html`<span class="status-yes">Unsubscribed</span>`
    : html`<span class="status-no">Subscribed</span>`;
}

function attribute(lead: LeadView, name: string): string | null {
  return lead.attributes.find((a) => a.name === name)?.value ?? null;
}

function displayName(lead: LeadView): string {
  return [attribute(lead, 'FirstName'), attribute(lead, 'LastName')].filter(Boolean).join(' ');
}

export function layout(options: {
  title: string;
  session?: PageSession | null;
  body: HtmlValue;
}): string {
  const { title, session, body } = options;
  const header = session
    ? html`<header>
        <span class="brand">durable-unsubscribe · operator pages</span>
        <nav aria-label="Main">
          <ul>
            <li><a href="/admin/">Find people</a></li>
            <li><a href="/admin/address">Address status</a></li>
          </ul>
        </nav>
        <form method="post" action="/admin/logout">
          ${csrfInput(session.csrfToken)}
          <span>Signed in as <strong>${session.operator}</strong></span>
          <button type="submit" class="link">Log out</button>
        </form>
      </header>`
    : html`<header><span class="brand">durable-unsubscribe · operator pages</span></header>`;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · durable-unsubscribe</title>
        <link rel="stylesheet" href="/admin/admin.css" />
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        ${header}
        <main id="main">${body}</main>
      </body>
    </html> `.value;
}

export function loginPage(options: {
  csrfToken: string;
  next: string;
  name?: string;
  error?: string;
}): string {
  const error = options.error ? html`<p class="error" role="alert">${options.error}</p>` : '';
  return layout({
    title: 'Log in',
    body: html`<div class="login">
      <h1>Log in</h1>
      ${error}
      <form method="post" action="/admin/login">
        ${csrfInput(options.csrfToken)}
        <input type="hidden" name="next" value="${options.next}" />
        <div class="field">
          <label for="name">Operator name</label>
          <input
            type="text"
            id="name"
            name="name"
            value="${options.name ?? ''}"
            autocomplete="username"
            autocapitalize="none"
            spellcheck="false"
            required
            autofocus
          />
        </div>
        <div class="field">
          <label for="password">Password</label>
          <input
            type="password"
            id="password"
            name="password"
            autocomplete="current-password"
            required
          />
        </div>
        <button type="submit">Log in</button>
      </form>
    </div>`,
  });
}

export function searchPage(options: {
  session: PageSession;
  query: string;
  results: LeadView[] | null;
  email: string | null;
}): string {
  const { query, results, email } = options;
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
              ${results.length} ${results.length === 1 ? 'person matches' : 'people match'}
              <strong>${query}</strong>.
            </p>
            ${addressLink}
            <table>
              <caption>
                People found
              </caption>
              <thead>
                <tr>
                  <th scope="col">Id</th>
                  <th scope="col">Email</th>
                  <th scope="col">Name</th>
                  <th scope="col">Partition</th>
                  <th scope="col">Foreign id</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                ${results.map(
                  (lead) =>
                    html`<tr>
                      <td><a href="${personUrl(lead.id)}">${lead.id}</a></td>
                      <td>${lead.email ?? '—'}</td>
                      <td>${displayName(lead) || '—'}</td>
                      <td>${lead.partition}</td>
                      <td>${lead.foreignSysPersonId ?? '—'}</td>
                      <td>${flag(lead.unsubscribed)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`;
  }
  return layout({
    title: 'Find people',
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

function activityTable(page: ActivityPage): SafeHtml {
  if (page.activities.length === 0) return html`<p>No activities.</p>`;
  return html`<table>
    <caption>
      Newest first
    </caption>
    <thead>
      <tr>
        <th scope="col">When</th>
        <th scope="col">Activity</th>
        <th scope="col">Details</th>
      </tr>
    </thead>
    <tbody>
      ${page.activities.map(
        (a) =>
          html`<tr>
            <td>${formatTime(a.createdAt)}</td>
            <td>${a.activityType}</td>
            <td>
              <dl class="attrs">
                ${a.attributes.map(
                  ([name, value]) =>
                    html`<dt>${name}</dt>
                      <dd>${value}</dd>`,
                )}
              </dl>
            </td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

export type SavedOutcome = 'unsubscribed' | 'resubscribed' | 'unchanged';

function savedNotice(outcome: SavedOutcome | null, lead: LeadView): HtmlValue {
  if (outcome === null) return '';
  const everyone = lead.email
    ? html`every person with ${lead.email}, in every partition`
    : html`this person only: it has no address`;
  const text =
    outcome === 'unchanged'
      ? html`Nothing to change: the box already said so.`
      : outcome === 'unsubscribed'
        ? html`Saved: unsubscribed, and so is ${everyone}.`
        : html`Saved: re-subscribed, and so is ${everyone}.`;
  return html`<p class="notice" role="status">${text}</p>`;
}

/** " This re-subscribe lifted a complaint suppression of 2026-03-01.", or nothing. */
function liftedNote(status: NonNullable<AddressReport['status']>): HtmlValue {
  const lifted = status.unsubscribed ? null : liftedText(status);
  return lifted ? html` This re-subscribe ${lifted}.` : '';
}

export function personPage(options: {
  session: PageSession;
  lead: LeadView;
  master: AddressReport['status'];
  activities: ActivityPage;
  before: number | null;
  saved: SavedOutcome | null;
  /** The name operators know a field by (the activity log's Attribute Name). */
  fieldLabel?: (name: string) => string;
}): string {
  const { session, lead, master, activities, before } = options;
  const reason = attribute(lead, 'UnsubscribedReason') ?? '';
  const name = displayName(lead);
  const shown = lead.attributes.filter(
    (a) => a.name !== 'Unsubscribed' && a.name !== 'UnsubscribedReason',
  );
  const masterLine = !lead.email
    ? html`This person has no address, so only its own box changes.`
    : master
      ? html`Master status of <a href="${addressUrl(lead.email)}">${lead.email}</a>:
          ${flag(master.unsubscribed)} since ${formatTime(master.changedAt)}. Reason:
          ${master.reason ?? '—'}. Source: ${master.source}.${liftedNote(master)}`
      : html`Master status of <a href="${addressUrl(lead.email)}">${lead.email}</a>: never set
          (subscribed).`;
  const last = activities.activities[activities.activities.length - 1];
  const older =
    activities.remainingCount > 0 && last
      ? html`<a href="${personUrl(lead.id)}?before=${last.id}#activity"
          >Older activities (${activities.remainingCount} more)</a
        >`
      : '';
  const newest =
    before !== null ? html`<a href="${personUrl(lead.id)}#activity">Newest activities</a>` : '';
  return layout({
    title: `Person ${lead.id}`,
    session,
    body: html`${savedNotice(options.saved, lead)}
      <h1>Person ${lead.id}${name ? html` · ${name}` : ''}</h1>
      <section aria-labelledby="fields-heading">
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
            ${lead.foreignSysPersonId ? html`${lead.foreignSysPersonId} (${lead.foreignSysType ?? 'CUSTOM'})` : '—'}
          </dd>
          <dt>Created</dt>
          <dd>${formatTime(lead.createdAt)}</dd>
          <dt>Updated</dt>
          <dd>${formatTime(lead.updatedAt)}</dd>
          ${shown.map(
            (a) =>
              html`<dt>${options.fieldLabel ? options.fieldLabel(a.name) : a.name}</dt>
                <dd>${a.value}</dd>`,
          )}
        </dl>
      </section>
      <section aria-labelledby="unsubscribe-heading" class="box">
        <h2 id="unsubscribe-heading">Unsubscribe</h2>
        <p>${masterLine}</p>
        <form method="post" action="${personUrl(lead.id)}/unsubscribed">
          ${csrfInput(session.csrfToken)}
          <p>
            <input
              type="checkbox"
              id="unsubscribed"
              name="unsubscribed"
              value="true"
              ${lead.unsubscribed ? raw(' checked') : ''}
            />
            <label for="unsubscribed">Unsubscribed</label>
          </p>
          <div class="field">
            <label for="reason">Reason</label>
            <input
              type="text"
              id="reason"
              name="reason"
              value="${reason}"
              maxlength="4000"
              aria-describedby="reason-hint"
            />
          </div>
          <p class="hint" id="reason-hint">
            Saving applies the durable rules:
            ${lead.email ? html`every person with ${lead.email} follows, in every partition` : 'this person has no address'}.
            It is recorded as “Person detail” by ${session.operator}.
          </p>
          <p><button type="submit">Save</button></p>
        </form>
      </section>
      <section aria-labelledby="activity-heading" id="activity">
        <h2 id="activity-heading">Activity log</h2>
        ${activityTable(activities)}
        <p class="pager">${newest}${older}</p>
      </section>`,
  });
}

export function addressPage(options: {
  session: PageSession;
  query: string;
  report: AddressReport | null;
}): string {
  const { report } = options;
  let body: HtmlValue = '';
  if (report) {
    const status = report.status;
    const statusText = status
      ? html`${flag(status.unsubscribed)} since ${formatTime(status.changedAt)}. Reason:
        ${status.reason ?? '—'}. Source: ${status.source}.${liftedNote(status)}
        ${status.leadId !== null ? html`Caused by <a href="${personUrl(status.leadId)}">person ${status.leadId}</a>.` : ''}`
      : html`${flag(false)}: this address has never been unsubscribed or re-subscribed.`;
    const history = [...report.history].reverse();
    body = html`<section aria-labelledby="status-heading" class="box">
        <h2 id="status-heading">Master status of ${report.emailKey}</h2>
        <p>${statusText}</p>
      </section>
      <section aria-labelledby="people-heading">
        <h2 id="people-heading">People with this address (${report.leads.length})</h2>
        ${
          report.leads.length === 0
            ? html`<p>Nobody holds this address now.</p>`
            : html`<table>
                <caption>
                  Every partition; most recently updated first
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Id</th>
                    <th scope="col">Email as stored</th>
                    <th scope="col">Partition</th>
                    <th scope="col">Status</th>
                    <th scope="col">Updated</th>
                  </tr>
                </thead>
                <tbody>
                  ${report.leads.map(
                    (l) =>
                      html`<tr>
                        <td><a href="${personUrl(l.id)}">${l.id}</a></td>
                        <td>${l.email ?? '—'}</td>
                        <td>${l.partition}</td>
                        <td>${flag(l.unsubscribed)}</td>
                        <td>${formatTime(l.updatedAt)}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
        }
      </section>
      <section aria-labelledby="history-heading">
        <h2 id="history-heading">History (${history.length})</h2>
        ${
          history.length === 0
            ? html`<p>No changes recorded.</p>`
            : html`<table>
                <caption>
                  Newest first
                </caption>
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">Status</th>
                    <th scope="col">Reason</th>
                    <th scope="col">Source</th>
                    <th scope="col">Caused by</th>
                  </tr>
                </thead>
                <tbody>
                  ${history.map(
                    (h) =>
                      html`<tr>
                        <td>${formatTime(h.changedAt)}</td>
                        <td>${flag(h.unsubscribed)}</td>
                        <td>
                          ${h.reason ?? '—'}${liftedText(h) ? html`<br />${liftedText(h)}` : ''}
                        </td>
                        <td>${h.source}</td>
                        <td>
                          ${h.leadId !== null ? html`<a href="${personUrl(h.leadId)}">person ${h.leadId}</a>` : '—'}
                        </td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
        }
      </section>`;
  }
  return layout({
    title: report ? `Address ${report.emailKey}` : 'Address status',
    session: options.session,
    body: html`<h1>Address status</h1>
      <form method="get" action="/admin/address" role="search">
        <div class="row">
          <div class="field">
            <label for="email">Email address</label>
            <input type="search" id="email" name="email" value="${options.query}" required />
          </div>
          <button type="submit">Look up</button>
        </div>
        <p class="hint">
          Why is an address unsubscribed? Its master status, every change to it, and everyone
          holding it.
        </p>
      </form>
      ${body}`,
  });
}

const HEADINGS: Record<number, string> = {
  401: 'Log in first',
  403: 'Refused',
  404: 'Not found',
  429: 'Too many attempts',
};

export function errorPage(options: {
  status: number;
  message: string;
  session?: PageSession | null;
}): string {
  const login = options.session ? '' : html`<p><a href="/admin/login">Log in</a></p>`;
  return layout({
    title: `Error ${options.status}`,
    session: options.session ?? null,
    body: html`<h1>${HEADINGS[options.status] ?? 'Something went wrong'}</h1>
      <p class="error" role="alert">${options.message}</p>
      ${login}`,
  });
}
