import { html } from '../html.js';
import { csrfInput, errorNote, layout, notice } from '../layout.js';

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
  return layout({
    title: 'Log in',
    body: html`<div class="login">
      <h1>Log in</h1>
      ${options.error ? errorNote(options.error) : ''}
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
