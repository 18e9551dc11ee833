import type { JobState } from '../domain/records.js';
import { html, raw, type HtmlValue, type SafeHtml } from './html.js';

/** What the header needs of a logged-in operator. */
export interface PageSession {
  operator: string;
  csrfToken: string;
}

export const CSRF_FIELD = '_csrf';

/**
 * The field of a lift form (the address page's, a person's confirmation) naming the suppression
 * it shows (statusVersion): the lift is refused when another one stands there by then.
 */
export const STATUS_VERSION_FIELD = 'status_version';

/** Millisecond precision: two changes in the same second must still read in order. */
export function formatTime(at: Date | number): string {
  const d = typeof at === 'number' ? new Date(at) : at;
  return `${d.toISOString().slice(0, 23).replace('T', ' ')} UTC`;
}

export const personUrl = (id: number): string => `/admin/people/${id}`;
export const addressUrl = (email: string): string =>
  `/admin/address?email=${encodeURIComponent(email)}`;

/** A page's own URL with some query parameters replaced (empty values are left out). */
export function withQuery(path: string, query: Record<string, string | number | null>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== null && v !== '') params.set(k, String(v));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export const csrfInput = (token: string): SafeHtml =>
  html`<input type="hidden" name="${CSRF_FIELD}" value="${token}" />`;

export function flag(unsubscribed: boolean): SafeHtml {
  return unsubscribed
    ? html`<span class="status-yes">Unsubscribed</span>`
    : html`<span class="status-no">Subscribed</span>`;
}

/**
 * "Reason: asked by phone." or, for none (an integration's opt-out without one), words a
 * screen reader says as they are: a lone dash read as nothing, or as "em dash".
 */
export function reasonSentence(reason: string | null | undefined): SafeHtml {
  const given = reason?.trim();
  return given ? html`Reason: ${given}.` : html`No reason recorded.`;
}

export const checked = (on: boolean): SafeHtml => raw(on ? ' checked' : '');
export const selected = (on: boolean): SafeHtml => raw(on ? ' selected' : '');

const NAV: ReadonlyArray<[string, string]> = [
  ['/admin/suppressions', 'Suppressions'],
  ['/admin/', 'Find people'],
  ['/admin/address', 'Address status'],
  ['/admin/bulk', 'Change Data Value'],
];

export function layout(options: {
  title: string;
  session?: PageSession | null;
  body: HtmlValue;
  /** Seconds after which the browser reloads the page (a job's progress), without script. */
  refreshSeconds?: number;
  /** The navigation's entry this page is (its href): marked aria-current, and shown so. */
  current?: string;
  /** The page is a form shown again with a refusal: its title says so first (a tab, a screen reader's first words). */
  refused?: boolean;
}): string {
  const { session, body } = options;
  const title = options.refused ? `Error: ${options.title}` : options.title;
  const header = session
    ? html`<header>
        <span class="brand">durable-unsubscribe · operator pages</span>
        <nav aria-label="Main">
          <ul>
            ${NAV.map(
              ([href, label]) =>
                html`<li>
                  <a href="${href}" ${options.current === href ? raw('aria-current="page"') : ''}
                    >${label}</a
                  >
                </li>`,
            )}
          </ul>
        </nav>
        <form method="post" action="/admin/logout">
          ${csrfInput(session.csrfToken)}
          <span>Signed in as <strong>${session.operator}</strong></span>
          <a href="/admin/sessions">Your sessions</a>
          <button type="submit" class="link">Log out</button>
          <button type="submit" class="link" formaction="/admin/logout-others">
            End my other sessions
          </button>
        </form>
      </header>`
    : html`<header><span class="brand">durable-unsubscribe · operator pages</span></header>`;
  const refresh =
    options.refreshSeconds !== undefined
      ? html`<meta http-equiv="refresh" content="${options.refreshSeconds}" />`
      : '';
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        ${refresh}
        <title>${title} · durable-unsubscribe</title>
        <link rel="stylesheet" href="/admin/admin.css" />
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        ${header}
        <main id="main" tabindex="-1">${body}</main>
      </body>
    </html> `.value;
}

/** A notice after a change, read out by screen readers. */
export const notice = (text: HtmlValue): SafeHtml =>
  html`<p class="notice" role="status">${text}</p>`;

export const errorNote = (text: HtmlValue): SafeHtml =>
  html`<p class="error" role="alert">${text}</p>`;

/**
 * What a running job's page says of its refreshing, with the way to turn it off (a page that
 * reloads itself every 2 s moves a screen reader back to its top each time) or on again.
 */
export function refreshNote(url: string, refreshing: boolean): SafeHtml {
  const still = `${url}?refresh=off`;
  return refreshing
    ? html`This page refreshes itself: <a href="${still}">Stop refreshing</a>`
    : html`<a href="${still}">Refresh now</a> · <a href="${url}">Refresh automatically</a>`;
}

/**
 * The words of a refusal about one field, between its label and the field: `id`-error, which
 * the field names first among its descriptions (fieldAria).
 */
export const fieldError = (id: string, text: HtmlValue): SafeHtml =>
  html`<p class="error" id="${id}-error" role="alert">${text}</p>`;

/**
 * A field's aria-describedby (the error about it, then its hint) and, when a refusal is about
 * it, aria-invalid and the focus: the page shown again opens on the field to correct, and a
 * screen reader says the error with the field's name.
 */
export function fieldAria(id: string, hint: string | null, refused: boolean): SafeHtml {
  const described = [refused ? `${id}-error` : null, hint].filter((d) => d !== null).join(' ');
  return html`${described ? html` aria-describedby="${described}"` : ''}${
    refused ? raw(' aria-invalid="true" autofocus') : ''
  }`;
}

/** A form's labelled field (its id `prefix-name`), holding what was typed, with the error about it. */
export function textField(
  prefix: string,
  name: string,
  label: string,
  value: string,
  options: { type?: string; error?: string; hint?: string } = {},
): SafeHtml {
  const id = `${prefix}-${name}`;
  const { type = 'text', error, hint = null } = options;
  return html`<div class="field">
    <label for="${id}">${label}</label>
    ${error ? fieldError(id, error) : ''}
    <input
      type="${type}"
      id="${id}"
      name="${name}"
      value="${value}"
      ${fieldAria(id, hint, !!error)}
    />
  </div>`;
}

/** A console job's state in the console's words (an import starts running; a change queues). */
export function jobStateText(state: JobState): string {
  return state === 'done'
    ? 'Finished'
    : state === 'failed'
      ? 'Stopped'
      : state === 'queued'
        ? 'Waiting'
        : 'Running';
}

/** "Newer"/"Older" links of a keyset-paged list; either may be absent. */
export function pager(links: Array<[string, string | null]>): HtmlValue {
  const shown = links.filter((l): l is [string, string] => l[1] !== null);
  if (shown.length === 0) return '';
  return html`<p class="pager">
    ${shown.map(([label, href]) => html`<a href="${href}">${label}</a>`)}
  </p>`;
}

/**
 * The explicit confirmation lifting a protected reason (a complaint) needs: a required box,
 * sent as liftProtected=yes; the server checks it again.
 */
export function liftConfirmation(warning: HtmlValue, label: string, error?: string): SafeHtml {
  return html`<p class="error" id="lift-warning">${warning}</p>
    ${error ? fieldError('lift', error) : ''}
    <p>
      <input
        type="checkbox"
        id="lift"
        name="liftProtected"
        value="yes"
        required
        ${fieldAria('lift', 'lift-warning', !!error)}
      />
      <label for="lift">${label}</label>
    </p>`;
}
