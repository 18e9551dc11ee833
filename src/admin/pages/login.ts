import { html, raw } from '../html.js';
import { csrfInput, fieldError, layout, notice } from '../layout.js';

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
          ? notice('Your session has ended (it expired, or was logged out). Log in again to go on.')
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
