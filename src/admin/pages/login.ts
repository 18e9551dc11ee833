import { html, raw } from '../html.js';
import { csrfInput, fieldError, layout, notice, type PageSession } from '../layout.js';

export function loginPage(options: {
  csrfToken: string;
  next: string;
  name?: string;
  error?: string;
  /** Reached from a page whose session had ended (expired, or logged out elsewhere). */
  ended?: boolean;
  /** Reached by logging out. */
  loggedOut?: boolean;
}): string {
  // A refusal names the login as a whole: said above its fields, and described to the
  // operator name, where the focus is on arrival.
  const refused = options.error !== undefined;
  return layout({
    title: 'Log in',
    refused,
    body: html`<div class="login">
      <h1>Log in</h1>
      ${refused ? fieldError('login', options.error) : ''}
      ${
        options.ended && !options.error
          ? notice(
              'Your session has ended (it expired, was left idle, or was logged out). Log in again to go on.',
            )
          : ''
      }
      ${options.loggedOut && !options.error && !options.ended ? notice('You have logged out.') : ''}
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
            ${raw(refused ? ' aria-describedby="login-error" autofocus' : ' autofocus')}
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

/** After "End my other sessions": how many ended; this one goes on. */
export function otherSessionsEndedPage(session: PageSession, ended: number): string {
  const sessions = ended === 1 ? '1 other session' : `${ended} other sessions`;
  return layout({
    title: 'Other sessions ended',
    session,
    body: html`<h1>Other sessions ended</h1>
      ${notice(
        ended === 0
          ? 'You had no other session: only this one was open.'
          : `Ended ${sessions} of ${session.operator}, on every browser and instance. This one goes on.`,
      )}
      <p>
        <a href="/admin/sessions">Your sessions</a> · <a href="/admin/">Back to the console</a>
      </p>`,
  });
}
