import type { OperatorSessionSummary } from '../../domain/session-clients.js';
import { html } from '../html.js';
import { csrfInput, errorNote, formatTime, layout, notice, type PageSession } from '../layout.js';
import { table } from '../table.js';

export const SESSIONS_PAGE = '/admin/sessions';

/** What a session did not record (opened before addresses and browsers were kept, or sent none). */
const NOT_RECORDED = html`<span class="hint">not recorded</span>`;

/**
 * The operator's own live sessions: when each began and was last used, where from, which
 * browser, and a button ending each other one; "End my other sessions" below them.
 */
export function sessionsPage(options: {
  session: PageSession;
  sessions: readonly OperatorSessionSummary[];
  /** A session was ended by this page's button. */
  ended?: boolean;
  /** Why the end asked was not made. */
  error?: string;
}): string {
  const { session, sessions } = options;
  const others = sessions.filter((s) => !s.current).length;
  return layout({
    title: 'Your sessions',
    session,
    refused: options.error !== undefined,
    body: html`<h1>Your sessions</h1>
      ${options.error !== undefined ? errorNote(options.error) : ''}
      ${options.ended && options.error === undefined ? notice('Session ended.') : ''}
      <p>
        The browsers logged in as <strong>${session.operator}</strong>, the latest login first. The
        last use is kept to the minute; the address and browser are those of the login.
      </p>
      ${table<OperatorSessionSummary>({
        caption: 'Live sessions',
        empty: 'No live session.',
        rows: sessions,
        columns: [
          { label: 'Began', cell: (s) => formatTime(s.createdAt) },
          { label: 'Last used', cell: (s) => formatTime(s.lastSeenAt) },
          { label: 'Address', cell: (s) => s.clientAddress ?? NOT_RECORDED },
          { label: 'Browser', cell: (s) => s.userAgent ?? NOT_RECORDED },
          {
            label: 'Session',
            cell: (s) =>
              s.current
                ? html`<strong>This session</strong>`
                : html`<form method="post" action="${SESSIONS_PAGE}/end">
                    ${csrfInput(session.csrfToken)}
                    <input type="hidden" name="session" value="${s.id}" />
                    <button type="submit">End this session</button>
                  </form>`,
          },
        ],
      })}
      ${
        others > 0
          ? html`<form method="post" action="/admin/logout-others">
              ${csrfInput(session.csrfToken)}
              <button type="submit">End my other sessions</button>
            </form>`
          : ''
      }`,
  });
}
