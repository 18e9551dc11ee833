/** What /healthz, /readyz and /metrics answer. */
export const HEALTH_METHODS = 'GET, HEAD, OPTIONS';

/**
 * The answer to a method a path does not serve (`allow` lists those it does), as the console's
 * pages answer one: OPTIONS is told the list (`Allow`, and the same in plain text), any other
 * method is refused 405 with the same `Allow` (RFC 9110 §15.5.6). Either was a 404, as if the
 * path were not there. `send` writes it; `subject` names what answers in the 405's sentence
 * (the machine paths: "this path"; an unsubscribe link's URL: "a link").
 */
export function otherMethodAnswer(
  method: string | undefined,
  allow: string,
  send: (status: 200 | 405, headers: Record<string, string>, text: string) => void,
  subject = 'this path',
): void {
  const headers = { Allow: allow, 'Content-Type': 'text/plain; charset=utf-8' };
  if (method === 'OPTIONS') send(200, headers, `${allow}\n`);
  else
    send(
      405,
      headers,
      `${method ?? 'This method'} is not served here: ${subject} answers ${allow}.\n`,
    );
}
