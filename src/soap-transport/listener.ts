import fs from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import type { Request, Response } from 'express';
import { AppError, ErrorCode, isAppError } from '../errors.js';
import { createSoapEngine, type AnswerPrefix, type SoapBinding } from './soap-engine.js';
import type { FastReadOptions, RequestReader } from './request-reader.js';
import type { RawObject } from './values.js';
import { WsdlDocument } from './wsdl-document.js';
import { drainThen } from './request-body.js';
import {
  ABSOLUTE_TARGET,
  DOCUMENT_HEADERS,
  MACHINE_ANSWER_HEADERS,
  MACHINE_ANSWER_RAW,
  validHost,
} from '../http/protocol-answers.js';

export const XML_TYPE = 'text/xml; charset=utf-8';

/**
 * One operation as a listener implements it: node-soap's arguments and SOAP headers, and the
 * state of the call it belongs to (what `process` was given).
 */
export type SoapOperation<S> = (
  args: RawObject | null,
  soapHeaders: RawObject | null | undefined,
  call: S | undefined,
) => Promise<unknown>;

/** COMMIT_GRACE_MS's default, for endpoints built without it. */
export const DEFAULT_COMMIT_GRACE_MS = 10000;

/** What every SOAP endpoint (mktows, Salesforce's outbound messages) is built with. */
export interface EndpointBasics {
  wsdlFile: string;
  maxBodyBytes: number;
  bodyTimeoutMs: number;
  requestTimeoutMs: number;
  /**
   * How long past requestTimeoutMs a call whose write was already being committed waits for
   * that commit, to answer its outcome (COMMIT_GRACE_MS; DEFAULT_COMMIT_GRACE_MS if absent).
   */
  commitGraceMs?: number;
  /** When set, the WSDL's soap:address starts with it instead of the request's Host. */
  publicUrl?: string;
}

export interface SoapListenerOptions<S> {
  /** The path node-soap is told it serves (it does no routing of its own here). */
  path: string;
  wsdlFile: string;
  service: string;
  port: string;
  operations: Record<string, SoapOperation<S>>;
  requestTimeoutMs: number;
  /**
   * Asked of a call at requestTimeoutMs: true when nothing of its work can be stored any more
   * (the timeout is answered then), false when some of it was already being committed (its
   * own outcome is answered, waited for up to commitGraceMs more). Absent: always true.
   */
  timedOut?: (call: S) => boolean;
  /** How long past requestTimeoutMs a call being committed is waited for; then fault 20011. */
  commitGraceMs?: number;
  /** When set, the WSDL's soap:address starts with it instead of the request's Host. */
  publicUrl?: string;
  rawTextTypes?: readonly string[];
  /** Request shapes read without node-soap's object model (identical result, or declined). */
  fastRead?: FastReadOptions;
  /** The prefix answers' Body elements are written in, when not the WSDL's own alias. */
  answerPrefix?: AnswerPrefix;
  /** Bytes of a refused body (another method's) discarded at most; default 4 MiB. */
  refusedDrainBytes?: number;
  /** How long that discarding may take (BODY_TIMEOUT_MS); default 30 s. */
  bodyTimeoutMs?: number;
}

export interface SoapAnswer {
  statusCode: number;
  body: string;
}

export interface SoapListener<S> {
  wsdlXml: string;
  /** The WSDL binding of the listener's port, as node-soap parsed it. */
  binding: SoapBinding;
  /** The fast request reader, when fastRead was given and the WSDL suits it. */
  requestReader: RequestReader | null;
  /**
   * Answers a GET (or HEAD) ?WSDL with the WSDL, a POST through `post`, another GET or HEAD
   * with 404 and anything else with 405, each with the fault `faultOf` builds.
   */
  route(
    req: Request,
    res: Response,
    post: () => void,
    faultOf: (error: unknown) => { body: string },
  ): void;
  /**
   * Hands XML the listener has read and checked to node-soap, with this call's state for the
   * operation. `answer` fails with a timeout after requestTimeoutMs, unless the call's work was
   * being committed then (timedOut): it is its outcome then, or after commitGraceMs more a
   * failure saying the outcome is unknown; `settled` ends when node-soap's work ends, even
   * after that. `read`: the request reader's readGuarded of `xml`,
   * when it read it (node-soap then takes it instead of reading `xml` again).
   */
  process(
    xml: string,
    request: { headers: IncomingHttpHeaders; url: string; soapAction: string },
    call: S,
    read?: unknown,
  ): { answer: Promise<SoapAnswer>; settled: Promise<SoapAnswer> };
}

/**
 * The SOAP listener both endpoints are built on: node-soap as the XML ⇄ object engine behind
 * our own HTTP handling, the WSDL served with the address it was fetched from, and one way of
 * carrying per-call state into an operation.
 */
export async function createSoapListener<S extends object>(
  options: SoapListenerOptions<S>,
): Promise<SoapListener<S>> {
  const wsdlXml = fs.readFileSync(options.wsdlFile, 'utf8');
  // Per-call state is found through the headers object node-soap hands back unchanged
  // (AsyncLocalStorage would do, but turns on promise hooks that tax every promise of the
  // process).
  const calls = new WeakMap<object, S>();
  const port: Record<string, unknown> = {};
  for (const [name, operation] of Object.entries(options.operations)) {
    port[name] = (
      args: RawObject | null,
      _cb: unknown,
      soapHeaders: RawObject | null | undefined,
      request: { headers?: object } | undefined,
    ) => operation(args, soapHeaders, request?.headers ? calls.get(request.headers) : undefined);
  }
  const engine = await createSoapEngine({
    path: options.path,
    wsdlXml,
    services: { [options.service]: { [options.port]: port } },
    rawTextTypes: options.rawTextTypes,
    fastRead: options.fastRead,
    answerPrefix: options.answerPrefix,
  });
  const binding = engine.wsdl.definitions.services[options.service]?.ports[options.port]?.binding;
  if (!binding) throw new Error(`WSDL has no ${options.port} binding`);

  const wsdlDocument = new WsdlDocument(wsdlXml);
  const serveWsdl = (req: Request, res: Response) => {
    const host = requestHost(req);
    // requireHost answered any other 400; none named (HTTP/1.0, an empty Host): this machine.
    const safeHost =
      host !== '' && validHost(host) ? host : `localhost:${req.socket.localPort ?? 80}`;
    const location = options.publicUrl
      ? `${options.publicUrl}${req.path}`
      : `${req.protocol}://${safeHost}${req.path}`;
    // The path is the client's: escaped by the document.
    res.set(DOCUMENT_HEADERS).type(XML_TYPE).send(wsdlDocument.at(location));
  };

  return {
    wsdlXml,
    binding,
    requestReader: engine.requestReader ?? null,
    route(req, res, post, faultOf) {
      // HEAD as GET (its headers, no document): monitors check a WSDL so.
      if (
        (req.method === 'GET' || req.method === 'HEAD') &&
        /^wsdl$/i.test(Object.keys(req.query)[0] ?? '')
      )
        return serveWsdl(req, res);
      if (req.method === 'POST') return post();
      // Discarded up to a bound, then the connection closes: resumed without one, as before,
      // a PUT or a GET without ?WSDL read whatever an unauthenticated client sent.
      const drainCap = options.refusedDrainBytes ?? 4 * 1024 * 1024;
      // A GET or HEAD is allowed here (an Allow header listing it beside a 405 contradicted
      // itself): what it asks for, the endpoint with another query (?xsd) or none, is not served.
      const get = req.method === 'GET' || req.method === 'HEAD';
      drainThen(req, drainCap, options.bodyTimeoutMs ?? 30000, () => {
        closeWhenBodyUnread(res, null);
        if (!get) res.setHeader('Allow', 'GET, HEAD, POST');
        const fault = faultOf(
          new AppError(
            ErrorCode.REQUEST_NOT_UNDERSTOOD,
            get
              ? 'GET serves only the WSDL (?WSDL); a call is a POST of an envelope'
              : `${req.method} is not a SOAP call; POST an envelope or GET ?WSDL`,
          ),
        );
        res
          .set(MACHINE_ANSWER_HEADERS)
          .status(get ? 404 : 405)
          .type(XML_TYPE)
          .send(fault.body);
      });
    },
    process(xml, request, call, read) {
      // What node-soap reads of the headers: the operation (from SOAPAction) and the
      // Content-Type it copies to an answer we do not use. A fresh object per call, also the
      // key the call's state is found by.
      const headers: IncomingHttpHeaders = {
        'content-type': request.headers['content-type'],
        soapaction: `"${request.soapAction}"`,
      };
      calls.set(headers, call);
      const req = { headers, url: request.url, method: 'POST' };
      const run = () => engine.processRequest(xml, req);
      const reader = engine.requestReader;
      // Already read: the operation is called as node-soap would call it, without its dispatch
      // (or node-soap is handed the reading, where the direct call declines).
      const settled =
        read !== undefined && reader
          ? (engine.direct?.(read, req, request.soapAction) ?? reader.handOver(xml, read, run))
          : run();
      const answer = new Promise<SoapAnswer>((resolve, reject) => {
        let timer = setTimeout(() => {
          if (options.timedOut?.(call) ?? true) {
            reject(new AppError(ErrorCode.INTERNAL, 'Request timed out'));
            return;
          }
          // A write of the call is being committed: its outcome is the answer, if it comes.
          timer = setTimeout(
            () =>
              reject(
                new AppError(
                  ErrorCode.DATABASE_UNAVAILABLE,
                  'Request timed out while its write was being committed; whether it was stored is unknown',
                ),
              ),
            options.commitGraceMs ?? 0,
          );
        }, options.requestTimeoutMs);
        settled.then(
          (result) => {
            clearTimeout(timer);
            resolve(result);
          },
          (error: unknown) => {
            clearTimeout(timer);
            reject(error);
          },
        );
      });
      return { answer, settled };
    },
  };
}

/**
 * The host a request is for: the authority of an absolute-form target, which RFC 9112 §3.2.2
 * has a server use instead of the Host header (a proxy that routes by the target sends a Host
 * the client chose along), else the Host header.
 */
function requestHost(req: Request): string {
  const absolute = ABSOLUTE_TARGET.exec(req.originalUrl);
  return absolute ? absolute[1]! : (req.get('host') ?? '');
}

/**
 * Sends an XML answer as `res.set(MACHINE_ANSWER_HEADERS).status(status).type(XML_TYPE)
 * .send(body)` would (same status and headers, ETags being off), with X-Request-Id when given.
 * Every SOAP answer and fault of mktows is written here, on its hot path: the headers go to
 * writeHead as one raw list (no setHeader per header, its name checked and lowered each time;
 * measured, six more headers cost 1.5 µs an answer that way and nothing this one), and no
 * Express parsing the Content-Type back to add the charset it already holds or copying the
 * body into a Buffer to measure it. A header set before (Retry-After, Connection: close) is
 * kept: node merges the list with it then.
 */
export function sendXml(res: Response, status: number, body: string, requestId?: string): void {
  const headers = MACHINE_ANSWER_RAW.slice();
  if (requestId !== undefined) headers.push('X-Request-Id', requestId);
  headers.push('Content-Type', XML_TYPE, 'Content-Length', String(Buffer.byteLength(body)));
  res.writeHead(status, headers);
  res.end(body);
}

/**
 * After a refusal that leaves the rest of the body unread (too large, too slow, or more than
 * a refused body is drained), the answer ends the connection: whatever follows on it is not a
 * request, and kept alive, the server would go on reading it to find the next one.
 */
export function closeWhenBodyUnread(res: Response, error: unknown): void {
  if (
    !res.req.complete ||
    (isAppError(error) &&
      (error.code === ErrorCode.REQUEST_TOO_LARGE || error.code === ErrorCode.REQUEST_TIMEOUT))
  ) {
    res.setHeader('Connection', 'close');
  }
}
