import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/**
 * Requests whose client waits for `100 Continue` before it sends the body, none sent yet.
 * What would refuse such a request without its body answers at once instead of waiting for
 * (or discarding) a body that will not come (drainThen).
 */
const awaiting = new WeakSet<IncomingMessage>();

/** Whether `req`'s client is still waiting for 100 Continue before it sends its body. */
export function awaitsContinue(req: IncomingMessage): boolean {
  return awaiting.has(req);
}

/**
 * Whether every expectation of an Expect value is 100-continue (any case, white space around):
 * node joins repeated Expect lines with ", ", and a list may hold empty elements (RFC 9110 §5.6.1).
 */
function onlyContinue(value: string): boolean {
  let seen = false;
  for (const element of value.split(',')) {
    const expectation = element.trim();
    if (expectation === '') continue;
    if (expectation.toLowerCase() !== '100-continue') return false;
    seen = true;
  }
  return seen;
}

/**
 * Whether an Expect value holds no expectation at all (`Expect:`, `Expect: , ,`): its list has
 * only empty elements, which RFC 9110 §5.6.1 has ignored, so it asks for nothing. node refuses
 * any value without 100-continue (checkExpectation), this one too.
 */
export function expectsNothing(value: string | undefined): boolean {
  return value !== undefined && value.split(',').every((element) => element.trim() === '');
}

/**
 * `Expect: 100-continue` is answered when the body is first read, not when the request
 * arrives. node sends 100 Continue on arrival (when nothing listens to 'checkContinue'), before
 * any route has looked at the request: an unauthenticated client was asked for a body its
 * one-click token, its console session or the SOAP lockout would refuse. Now a request is
 * refused (a bad token or path secret, no session, a declared length past the limit) with
 * its final answer alone, and node then closes the connection (it keeps none whose client
 * still holds a body back). A request that is served reads its body, and the 100 goes out
 * first: a SOAP call (.NET's HttpWebRequest sends Expect on every POST by default), a logged-in
 * operator's form, a one-click POST whose token holds.
 *
 * The body is read through the request's _read, whoever reads it (a 'data' listener, a pipe,
 * a parser): that is where the 100 is sent, once, and only while no answer has started (node
 * dumps an unread body after the answer, which must not send one).
 */
export function continueOnRead(server: Server): void {
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    // node takes 100-continue anywhere in the value (`100-continue, teapot`): an expectation
    // beside it is one this server does not meet, so it is refused as any other (417).
    if (!onlyContinue(req.headers.expect ?? '')) {
      server.emit('checkExpectation', req, res);
      return;
    }
    awaiting.add(req);
    const read = req._read;
    req._read = function (this: IncomingMessage, size: number) {
      req._read = read;
      if (awaiting.delete(req) && !res.headersSent && !res.writableEnded) res.writeContinue();
      return read.call(this, size);
    };
    server.emit('request', req, res);
  });
}
