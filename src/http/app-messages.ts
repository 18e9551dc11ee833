import http, { type RequestListener, type Server } from 'node:http';

/**
 * An HTTP server whose request and response objects are born with the prototypes the Express
 * application gives them (`app.request`, `app.response`), once the application is adopted.
 *
 * Express turns node's objects into its own by changing their prototype on every request
 * (Object.setPrototypeOf in app.handle; the one-click POST's direct path does the same). V8
 * pays for that change on each fresh object, and again for the properties added to it after:
 * measured at about 10 µs a request, a thirtieth of a one-click POST's main-thread work. Born
 * with the application's prototype, the object is already what Express makes of it: its
 * setPrototypeOf changes nothing, and everything else is as before (a sub-application still
 * swaps prototypes while it runs and puts them back).
 *
 * Requests that arrive before the application is adopted (the "starting" answer) are plain
 * node objects. Where node's classes cannot be called as functions (a later node that makes
 * them classes), the server is a plain one and Express does what it always did.
 */

/** What Express's application offers as the prototypes of its requests and responses. */
interface Prototypes {
  request: http.IncomingMessage;
  response: http.ServerResponse;
}

const adopters = new WeakMap<Server, (app: Prototypes) => void>();

/** node's message constructors are plain functions (node 20 to 24), callable on a new object. */
const callable = (constructor: unknown) =>
  typeof constructor === 'function' &&
  !/^class\b/.test(Function.prototype.toString.call(constructor));

/** http.createServer(options, listener), with request and response classes that adopt() can retarget. */
export function createAppServer(
  listener: RequestListener,
  options: Pick<
    http.ServerOptions,
    'connectionsCheckingInterval' | 'requireHostHeader' | 'maxHeaderSize'
  > = {},
): Server {
  if (!callable(http.IncomingMessage) || !callable(http.ServerResponse))
    return http.createServer(options, listener);
  const incoming = http.IncomingMessage as unknown as (this: object, ...args: unknown[]) => void;
  const outgoing = http.ServerResponse as unknown as (this: object, ...args: unknown[]) => void;
  // Constructors whose `prototype` is read at each `new`: adopt() retargets them.
  function AppRequest(this: object, ...args: unknown[]) {
    incoming.apply(this, args);
  }
  function AppResponse(this: object, ...args: unknown[]) {
    outgoing.apply(this, args);
  }
  AppRequest.prototype = http.IncomingMessage.prototype;
  AppResponse.prototype = http.ServerResponse.prototype;
  const server = http.createServer(
    {
      ...options,
      IncomingMessage: AppRequest as unknown as typeof http.IncomingMessage,
      ServerResponse: AppResponse as unknown as typeof http.ServerResponse,
    },
    listener,
  );
  adopters.set(server, (app) => {
    AppRequest.prototype = app.request;
    AppResponse.prototype = app.response;
  });
  return server;
}

/** From now on `server`'s requests and responses are born as `app`'s (no-op for another server). */
export function adoptApp(server: Server, app: Prototypes): void {
  adopters.get(server)?.(app);
}
