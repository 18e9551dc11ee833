import { html } from '../html.js';
import { errorNote, layout, type PageSession } from '../layout.js';

const HEADINGS: Record<number, string> = {
  400: 'Not understood',
  401: 'Log in first',
  403: 'Refused',
  404: 'Not found',
  405: 'Not served',
  409: 'Not possible',
  411: 'Length required',
  413: 'Too large',
  429: 'Too many attempts',
};

export function errorPage(options: {
  status: number;
  message: string;
  session?: PageSession | null;
  /** The page the login link leads back to afterwards (the login's own default if absent). */
  loginNext?: string | null;
  /** The page of the form the request came from, to open afresh. */
  backTo?: string | null;
  /** The link's text to backTo; "Open the form again" if absent. */
  backLabel?: string;
}): string {
  const loginUrl = options.loginNext
    ? `/admin/login?next=${encodeURIComponent(options.loginNext)}`
    : '/admin/login';
  const login = options.session ? '' : html`<p><a href="${loginUrl}">Log in</a></p>`;
  const back = options.backTo
    ? html`<p><a href="${options.backTo}">${options.backLabel ?? 'Open the form again'}</a></p>`
    : '';
  // Titled as headed: a tab, or a screen reader's first words, tell one error from another.
  const heading = HEADINGS[options.status] ?? 'Something went wrong';
  return layout({
    title: heading,
    session: options.session ?? null,
    body: html`<h1>${heading}</h1>
      ${errorNote(options.message)} ${back} ${login}`,
  });
}
