import type { Request, Response } from 'express';
import { AppError, ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import {
  AuthenticationRefused,
  noHeaderWithin,
  type Authenticated,
  type Authenticator,
} from './auth.js';
import type { AuthFailureLimiter } from '../limits/auth-failures.js';
import type { CallAdmission } from '../limits/call-limits.js';
import { CallDeadline } from '../domain/ports.js';
import { envelopeFaultcode } from '../soap-transport/envelope-faults.js';
import {
  inspectEnvelope,
  inspectHead,
  type GuardLimits,
  type EnvelopeHead,
  type EnvelopeSummary,
  type HeaderCredentials,
} from '../soap-transport/envelope-guard.js';
import { faultEnvelope, MKTOWS_NS, toWireFault } from './faults.js';
import { FAST_READ, summaryOfRead } from './fast-read.js';
import { clientAddress, loggableUserId, namedActionsOf, requestIdOf } from './call-identity.js';
import type { OperationHandler } from './operation-handler.js';
import { calledOperation, operationTable, soapPort, type CallRecord } from './operation-table.js';
import { drainThen, readBody, refusedDrainBytes } from '../soap-transport/request-body.js';
import { multipartRefusal } from '../soap-transport/request-media.js';
import { decodeXmlBody, decodeXmlHead } from '../soap-transport/xml-decoding.js';
import {
  closeWhenBodyUnread,
  createSoapListener,
  DEFAULT_COMMIT_GRACE_MS,
  sendXml,
  type EndpointBasics,
} from '../soap-transport/listener.js';
import { elementTree as createElementTree } from '../soap-transport/schema-elements.js';
import { LEAD_RECORD_READ_ALSO } from './lead-record.mapper.js';
import { inlineMultiRefs, mayHoldMultiRefs } from '../soap-transport/multi-refs.js';
import { mayHoldEncodedArrays, unwrapEncodedArrays } from '../soap-transport/encoded-arrays.js';
import { clientLimitKey } from '../http/networks.js';

export interface EndpointOptions extends EndpointBasics {
  limits: CallAdmission;
  partitionOf: (workspace: string) => string;
  authFailures: AuthFailureLimiter;
  maxAttributesPerElement: number;
  publicUrl: string;
}

/**
 * A Header (with its AuthenticationHeader) that ends within this many bytes is checked as soon
 * as it has arrived, before the rest of the request is read: a request with a bad header
 * costs no more than reading the header.
 */
export const HEAD_BYTES = 64 * 1024;
const QUICK_HEAD_BYTES = 4 * 1024;

/**
 * The header entries the WSDL declares (by local name, in any namespace, as node-soap reads them):
 * the AuthenticationHeader as spelt, the context header in any case, as it is read.
 */
const UNDERSTOOD_HEADERS: ReadonlySet<string> = new Set([
  'AuthenticationHeader',
  'mktowscontextheader',
]);
const SERVICE = 'MktMktowsApiService';
const PORT = 'MktowsApiSoapPort';

/**
 * The mktows SOAP endpoint. node-soap is only the XML ⇄ object engine here: this handler owns
 * HTTP (methods, body limits, decompression), checks the envelope and the operation before
 * node-soap sees them, and every handler error goes out as a contract fault.
 */
export async function createMktowsEndpoint(
  handlers: Record<string, OperationHandler>,
  authenticator: Authenticator,
  options: EndpointOptions,
  logger: Logger,
  metrics?: Metrics,
): Promise<(req: Request, res: Response) => void> {
  const { port, paramsNames } = soapPort(handlers, options.partitionOf, logger);
  const listener = await createSoapListener<CallRecord>({
    path: '/soap/mktows',
    wsdlFile: options.wsdlFile,
    service: SERVICE,
    port: PORT,
    operations: port,
    requestTimeoutMs: options.requestTimeoutMs,
    // A timeout answered while nothing of the call is committing means nothing is stored: its
    // units of work see the deadline and withdraw (CallDeadline).
    timedOut: (record) => record.deadline?.expire() ?? true,
    commitGraceMs: options.commitGraceMs ?? DEFAULT_COMMIT_GRACE_MS,
    publicUrl: options.publicUrl,
    refusedDrainBytes: refusedDrainBytes(options.maxBodyBytes),
    bodyTimeoutMs: options.bodyTimeoutMs,
    fastRead: FAST_READ,
    // The vendor's answers: `<ns1:successGetLead>`, ns1 declared on the Envelope (its WSDL
    // says tns, as ours does); integrations that read answers by prefix look for ns1.
    answerPrefix: { namespace: MKTOWS_NS, prefix: 'ns1' },
  });
  const { binding, wsdlXml, requestReader } = listener;
  if (listener.requestReader) metrics?.watchRequestReader(listener.requestReader);
  const elementTree = createElementTree(wsdlXml, LEAD_RECORD_READ_ALSO);
  const {
    byElement: operations,
    byAction,
    fastOperations,
  } = operationTable(binding, handlers, elementTree, paramsNames);

  const sendFault = (res: Response, requestId: string, error: unknown, faultcode?: string) => {
    const { status, body } = faultEnvelope(error, faultcode);
    sendXml(res, status, body, requestId);
  };

  const guardLimits: GuardLimits = {
    maxDepth: 64,
    maxNameLength: 256,
    maxAttributes: options.maxAttributesPerElement,
    elementTree,
    understoodHeaders: UNDERSTOOD_HEADERS,
    skipEmptyUnknown: true,
    membersInBodyNamespace: true,
  };
  // The head is looked at before all of it may have arrived: a character cut in two at its end
  // must not fail it (the whole body is decoded strictly afterwards).
  const lookAt = (start: Buffer): EnvelopeHead | null => {
    try {
      return inspectHead(decodeXmlHead(start), guardLimits);
    } catch {
      return null;
    }
  };
  // Most headers end within the first few KiB: looked for there first, so that a large body's
  // head is not decoded and checked for characters all the way to HEAD_BYTES. (Characters
  // after the Body's start tag are the whole body's check.)
  const headOf = (start: Buffer): EnvelopeHead | null =>
    (start.length > QUICK_HEAD_BYTES ? lookAt(start.subarray(0, QUICK_HEAD_BYTES)) : null) ??
    lookAt(start);

  /** Authenticates (or refuses), counting and logging a refusal (never the key or signature). */
  const authenticate = async (
    credentials: HeaderCredentials | null,
    req: Request,
    requestId: string,
    refusal?: AuthenticationRefused,
  ): Promise<Authenticated> => {
    try {
      if (refusal) throw refusal;
      return await authenticator.authenticate(credentials);
    } catch (error) {
      if (error instanceof AuthenticationRefused) {
        options.authFailures.record(clientLimitKey(clientAddress(req)));
        logger.warn(
          {
            requestId,
            userId: loggableUserId(error.givenUserId, error.reason),
            reason: error.reason,
            client: clientAddress(req),
          },
          'SOAP authentication refused',
        );
      }
      throw error;
    }
  };

  const call = async (req: Request, res: Response) => {
    const started = process.hrtime.bigint();
    const requestId = requestIdOf(req);
    // Written with the answer (sendXml), every answer of the call being written there.
    const record: CallRecord = { operation: 'unknown' };
    let release: (() => void) | undefined;
    try {
      // Nobody locked out (nearly always): the client's address need not be worked out.
      const wait = options.authFailures.mayRefuse()
        ? options.authFailures.retryAfterSeconds(clientLimitKey(clientAddress(req)))
        : 0;
      if (wait > 0) {
        const lockedOut = new AppError(
          ErrorCode.AUTHENTICATION_FAILED,
          `Too many authentication failures from this address; retry in ${wait} s`,
        );
        record.fault = toWireFault(lockedOut).vendorCode;
        const { body } = faultEnvelope(lockedOut);
        res.setHeader('Retry-After', String(wait));
        res.setHeader('Connection', 'close');
        drainThen(req, refusedDrainBytes(options.maxBodyBytes), options.bodyTimeoutMs, () =>
          sendXml(res, 429, body, requestId),
        );
        return;
      }
      // An MTOM request is answered from its Content-Type: none of its body is looked at, and
      // what arrives of it is discarded (up to a bound) so that the connection is kept.
      const multipart = multipartRefusal(req.headers['content-type']);
      if (multipart) {
        record.fault = toWireFault(multipart).vendorCode;
        drainThen(req, refusedDrainBytes(options.maxBodyBytes), options.bodyTimeoutMs, () => {
          closeWhenBodyUnread(res, multipart);
          sendFault(res, requestId, multipart);
        });
        return;
      }
      // The header is checked as soon as it has arrived; a bad one ends the read there.
      const head: { outcome?: Promise<Authenticated> } = {};
      const bytes = await readBody(req, options.maxBodyBytes, options.bodyTimeoutMs, {
        bytes: HEAD_BYTES,
        check: (start, atLimit, whole) => {
          // All of it is here and within HEAD_BYTES: nothing is left to spare reading, and one
          // scan of the whole costs no more than the look at a head could, so it is scanned
          // once, below, instead of twice.
          if (whole) return null;
          // None in HEAD_BYTES (a long Header, a start not well-formed): refused unless anyone
          // may call. Read on, MAX_BODY_BYTES (from bytes of gzip) were scanned unauthenticated.
          const found = headOf(start);
          if (found) head.outcome = authenticate(found.credentials, req, requestId);
          else if (atLimit && !authenticator.anonymousAllowed)
            head.outcome = authenticate(null, req, requestId, noHeaderWithin(HEAD_BYTES));
          return head.outcome ?? null;
        },
      });
      let summary: EnvelopeSummary;
      let xml: string;
      // node-soap's reading of the request, when the reader could read it under the guard's
      // limits: then the guard need not scan it (what the reader reads, it passes), nor
      // node-soap read it again. Tried before authentication only on a body no larger than a
      // head, so that an unauthenticated request still costs no more than one head's reading.
      let read: unknown;
      const named = namedActionsOf(req.headers).map((n) => ({ ...n, op: byAction.get(n.action) }));
      try {
        xml = decodeXmlBody(bytes, req.headers['content-type']);
        // Multi-reference values put in place (up to eight times what was sent) and SOAP-ENC
        // arrays written as the repeated elements they stand for (PHP's SoapClient without a
        // WSDL, Axis 1 rpc/encoded; up to twice, and the tokens read first), and then all of
        // it is scanned: a body read whole within a head (its header not looked at on arrival)
        // has its header checked first, so that an unauthenticated one costs no more than its
        // own scan. A start where no header can be read is refused by the guard as it was sent
        // (neither changes anything before the operation), unless anyone may call.
        const multiRefs = mayHoldMultiRefs(xml);
        if (multiRefs || mayHoldEncodedArrays(xml)) {
          if (!head.outcome) {
            const found = headOf(bytes.subarray(0, HEAD_BYTES));
            if (found) head.outcome = authenticate(found.credentials, req, requestId);
          }
          if (head.outcome) await head.outcome;
          if (head.outcome || authenticator.anonymousAllowed) {
            if (multiRefs) xml = inlineMultiRefs(xml, options.maxBodyBytes);
            xml = unwrapEncodedArrays(xml, options.maxBodyBytes, elementTree);
          }
        }
        if (
          requestReader &&
          (head.outcome || bytes.length <= HEAD_BYTES) &&
          named.every(({ op }) => op === undefined || fastOperations.has(op.name))
        )
          read = requestReader.readGuarded(xml, guardLimits);
        summary =
          (read !== undefined ? summaryOfRead(read) : undefined) ??
          inspectEnvelope(xml, guardLimits);
        // The reader does not look at header entries; the rare request marking one
        // mustUnderstand is scanned by the guard, which does.
        if (read !== undefined && xml.includes('mustUnderstand'))
          summary = inspectEnvelope(xml, guardLimits);
      } catch (error) {
        // A header not yet looked at is answered first, as if looked at on arrival: a caller
        // who is refused learns nothing of what the guard finds wrong in the rest.
        const found = head.outcome ? null : headOf(bytes.subarray(0, HEAD_BYTES));
        if (found) await authenticate(found.credentials, req, requestId);
        throw error;
      }
      const caller = await (head.outcome ?? authenticate(summary.credentials, req, requestId));
      record.caller = caller;
      record.userId = caller.userId;
      const op = calledOperation(operations, summary, named, record);
      const admitted = options.limits.admit(caller.userId);
      // Asynchronous only beyond a worker's share of the instance's limit (a slot borrowed).
      release = typeof admitted === 'function' ? admitted : await admitted;
      record.deadline = new CallDeadline();
      const { answer, settled } = listener.process(
        xml,
        { headers: req.headers, url: req.originalUrl, soapAction: op.soapAction },
        record,
        read,
      );
      // The call holds its place until its work ends, even when its answer was a timeout.
      const held = release;
      release = undefined;
      void settled.then(held, held);
      const result = await answer;
      // node-soap answers its own failures (a parse it could not finish) in plain text.
      if (!result.body.startsWith('<'))
        throw new AppError(ErrorCode.INTERNAL, `SOAP engine failed: ${result.body.slice(0, 200)}`);
      sendXml(res, result.statusCode, result.body, requestId);
    } catch (error) {
      if (res.headersSent) return;
      closeWhenBodyUnread(res, error);
      sendFault(res, requestId, error, envelopeFaultcode(error));
      record.fault = toWireFault(error).vendorCode;
      if (record.fault === 10001) logger.error({ err: error, requestId }, 'SOAP call failed');
    } finally {
      release?.();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const outcome = record.fault === undefined ? 'ok' : String(record.fault);
      metrics?.soapCalls.inc({ operation: record.operation, outcome });
      metrics?.soapDuration.observe({ operation: record.operation }, seconds);
      if (logger.isLevelEnabled('info'))
        logger.info(
          {
            requestId,
            operation: record.operation,
            userId: record.userId,
            outcome,
            ms: Math.round(seconds * 1e4) / 10,
          },
          'soap call',
        );
    }
  };

  return (req, res) => listener.route(req, res, () => void call(req, res), faultEnvelope);
}
