import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { MACHINE_ANSWER_HEADERS } from './protocol-answers.js';
import { announcesBody } from './unread-bodies.js';

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

/** What the service's port serves, over all its paths: what `OPTIONS *` is told there. */
export const SERVICE_METHODS = 'GET, HEAD, POST, OPTIONS';

/**
 * `listener`, with `OPTIONS *` (a question to the server, not to a path: RFC 9110 §9.3.7)
 * answered 200 with `Allow` (the methods the port serves, `allow`), and the same in plain
 * text, as OPTIONS on a path is answered. It was a 404, and `OPTIONS *` is a classic health
 * check of load balancers (HAProxy's `option httpchk OPTIONS *`): it reads any 2xx or 3xx as
 * up, and some checks take 200 alone. Nothing is asked of the request (no credentials, no
 * database) and nothing is told but the methods. A body it announces is not read: the
 * connection closes after the answer.
 */
export function answerServerOptions(listener: RequestListener, allow: string): RequestListener {
  return (req, res) => {
    if (!answeredServerOptions(req, res, allow)) listener(req, res);
  };
}

/** Whether `req` is `OPTIONS *`, then answered as answerServerOptions says. */
export function answeredServerOptions(
  req: IncomingMessage,
  res: ServerResponse,
  allow: string,
): boolean {
  if (req.url !== '*' || req.method !== 'OPTIONS') return false;
  otherMethodAnswer('OPTIONS', allow, (status, headers, text) => {
    res.writeHead(status, {
      ...MACHINE_ANSWER_HEADERS,
      ...headers,
      'Content-Length': String(Buffer.byteLength(text)),
      ...(announcesBody(req) ? { Connection: 'close' } : {}),
    });
    res.end(text);
  });
  return true;
}
