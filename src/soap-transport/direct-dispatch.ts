/**
 * For a request the fast reader has already read: the call to the operation as node-soap's
 * server makes it (its _executeMethod, which runs the operation and writes the answer or the
 * fault), without the rest of its processRequest — the reading handed over, the two URL parses
 * that find the only port, the SOAPAction looked up among the methods, the events nobody
 * listens to, the response object that collects the answer. The answer is node-soap's, byte for
 * byte: wherever the request or the server is not the plain case this reproduces, it declines
 * (undefined) and processRequest runs as before.
 */

export interface DirectAnswer {
  statusCode: number;
  body: string;
}

interface MethodInfo {
  soapAction?: string;
  style?: string;
  output?: unknown;
}

/** The parts of node-soap's Server (lib/server.js, 1.13) used here; its typings keep them private. */
export interface ServerInternals {
  wsdl: {
    definitions: {
      services: Record<
        string,
        {
          ports: Record<
            string,
            {
              location?: string;
              binding: {
                style?: string;
                topElements: Record<string, { methodName: string; outputName: string }>;
                methods: Record<string, MethodInfo>;
              };
            }
          >;
        }
      >;
    };
  };
  services: Record<string, Record<string, Record<string, unknown>>>;
  soapHeaders?: unknown;
  log?: unknown;
  authenticate?: unknown;
  listenerCount(event: string): number;
  _getMethodNameBySoapActionSuffix(binding: unknown, soapAction: string): string | undefined;
  _executeMethod(
    options: {
      serviceName: string;
      portName: string;
      methodName: string;
      outputName: string;
      args: unknown;
      headers: unknown;
      style: 'document';
    },
    req: unknown,
    res: unknown,
    callback: (result: string, statusCode?: number) => void,
    includeTimestamp?: unknown,
  ): void;
  _sendError(
    fault: unknown,
    callback: (result: string, statusCode?: number) => void,
    includeTimestamp?: unknown,
  ): void;
}

export type DirectDispatch = (
  envelope: unknown,
  request: { headers: object; url: string; method: string },
  soapAction: string,
) => Promise<DirectAnswer> | undefined;

const hasFault = (error: unknown): error is { Fault: unknown } =>
  typeof error === 'object' && error !== null && (error as { Fault?: unknown }).Fault !== undefined;

/**
 * The direct call for a server with one service of one port (node-soap then binds every path
 * to it), or null when the server is set up in a way this does not reproduce.
 */
export function createDirectDispatch(server: ServerInternals): DirectDispatch | null {
  const services = Object.entries(server.wsdl.definitions.services);
  if (services.length !== 1) return null;
  const [serviceName, service] = services[0]!;
  const ports = Object.entries(service.ports);
  if (ports.length !== 1) return null;
  const [portName, port] = ports[0]!;
  const binding = port.binding;
  // What node-soap does around the method that changes an answer or is seen by someone.
  const plain = () =>
    !server.soapHeaders &&
    typeof server.log !== 'function' &&
    server.authenticate === undefined &&
    server.listenerCount('request') === 0 &&
    server.listenerCount('headers') === 0 &&
    server.listenerCount('response') === 0;
  // node-soap finds the port's path in the WSDL's address for each request: one that fails to
  // parse fails every request, which is left to it.
  try {
    new URL(port.location as string, 'http://localhost');
  } catch {
    return null;
  }
  // The method a SOAPAction names, as node-soap finds it (the first whose action, or the last
  // path segment of it, matches); remembered per action, the binding never changing.
  const methodByAction = new Map<string, string | undefined>();
  const methodOf = (soapAction: string): string | undefined => {
    if (methodByAction.has(soapAction)) return methodByAction.get(soapAction);
    let methodName: string | undefined;
    try {
      methodName = server._getMethodNameBySoapActionSuffix(binding, soapAction) ?? undefined;
    } catch {
      return undefined; // a method without a soapAction: node-soap's own failure, left to it
    }
    if (methodName !== undefined && methodByAction.size < 1024)
      methodByAction.set(soapAction, methodName);
    return methodName;
  };

  return (envelope, request, soapAction) => {
    if (!plain() || typeof envelope !== 'object' || envelope === null) return undefined;
    // node-soap parses the URL against its base: a path that cannot make it fail (no host).
    const { url } = request;
    if (url.charCodeAt(0) !== 0x2f || url.charCodeAt(1) === 0x2f || url.charCodeAt(1) === 0x5c)
      return undefined;
    const { Body: body, Header: headers } = envelope as { Body?: unknown; Header?: unknown };
    if (typeof body !== 'object' || body === null) return undefined;
    // A WS-Security timestamp in the header adds one to the answer: left to node-soap.
    if ((headers as { Security?: unknown } | undefined)?.Security !== undefined) return undefined;
    const keys = Object.keys(body);
    if (keys.length !== 1) return undefined;
    const element = keys[0]!;
    const pair = binding.topElements[element];
    const methodName = soapAction ? methodOf(soapAction) : pair?.methodName;
    if (pair === undefined || methodName === undefined) return undefined;
    const method = binding.methods[methodName];
    if (method === undefined || !method.output) return undefined;
    if ((method.style || binding.style) !== 'document') return undefined;
    if (typeof server.services[serviceName]?.[portName]?.[methodName] !== 'function')
      return undefined;

    return new Promise<DirectAnswer>((resolve) => {
      // As processRequest's response: the status node-soap gives, else 200; the body as text.
      const callback = (result: string, statusCode?: number) =>
        resolve({ statusCode: statusCode || 200, body: String(result) });
      const options = {
        serviceName,
        portName,
        methodName,
        outputName: pair.outputName,
        args: (body as Record<string, unknown>)[element],
        headers,
        style: 'document' as const,
      };
      try {
        // The request as node-soap's processRequest makes it; no response object: the
        // callback takes the answer (operations here use neither).
        const req = { ...request, connection: { remoteAddress: undefined } };
        server._executeMethod(options, req, undefined, callback, undefined);
      } catch (error) {
        // What node-soap's _process makes of an operation that throws before it returns.
        if (hasFault(error)) return server._sendError(error.Fault, callback, undefined);
        server._sendError(
          {
            Code: { Value: 'SOAP-ENV:Server', Subcode: { Value: 'InternalServerError' } },
            Reason: { Text: String(error) },
            statusCode: 500,
          },
          callback,
          undefined,
        );
      }
    });
  };
}
