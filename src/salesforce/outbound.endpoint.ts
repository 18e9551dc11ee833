import crypto from 'node:crypto';
import type { Request, Response } from 'express';
import { CallDeadline } from '../domain/ports.js';
import type { SalesforceSyncService } from '../domain/salesforce-sync.service.js';
import { AppError, causeLine, ErrorCode, isDatabaseUnavailable } from '../errors.js';
import type { Logger } from '../logger.js';
import { NetworkList, type Network } from '../http/networks.js';
import { envelopeFaultcode, MustUnderstand } from '../soap-transport/envelope-faults.js';
import { inspectEnvelope } from '../soap-transport/envelope-guard.js';
import { drainThen, readBody, refusedDrainBytes } from '../soap-transport/request-body.js';
import { decodeXmlBody } from '../soap-transport/xml-decoding.js';
import { SObjectTypes } from './sobject-types.js';
import { toWireFault } from '../mktows/faults.js';
import {
  closeWhenBodyUnread,
  createSoapListener,
  DEFAULT_COMMIT_GRACE_MS,
  XML_TYPE,
  type EndpointBasics,
} from '../soap-transport/listener.js';
import type { RawObject } from '../soap-transport/values.js';
import { organizationIdOf, toOutboundMessage } from './notification.mapper.js';
import { listenerFault } from './outbound.faults.js';
import { refuseUnknownSender } from './sender-organization.js';
import { id15 } from '../formats/salesforce-id.js';
import { MACHINE_ANSWER_HEADERS, SAFE_ANSWER_HEADERS } from '../http/protocol-answers.js';

export const OUTBOUND_NS = 'http://soap.sforce.com/2005/09/outbound';
export const OUTBOUND_PATH = '/soap/salesforce/outbound';

export interface OutboundEndpointOptions extends EndpointBasics {
  /** Organisation ids (15 or 18 characters) whose messages are accepted; empty: none. */
  allowedOrganizationIds: readonly string[];
  /** The listener answers only at OUTBOUND_PATH/<secret>; empty: nowhere (every path is 404). */
  pathSecret: string;
  /** When not empty, only clients whose address (req.ip, after TRUST_PROXY) is in one may send. */
  allowedNetworks?: readonly Network[];
}

const SERVICE = 'NotificationService';
const PORT = 'Notification';
const PURGE_INTERVAL_MS = 60 * 60 * 1000;

/** One call's state: its deadline, and the error its operation failed with, if it did. */
interface CallState {
  deadline: CallDeadline;
  error?: unknown;
}

/** Compares digests so that the time taken says nothing about how much of a guess was right. */
function sameSecret(presented: string, expected: string): boolean {
  const digest = (s: string) => crypto.createHash('sha256').update(s).digest();
  return crypto.timingSafeEqual(digest(presented), digest(expected));
}

/**
 * The Salesforce Outbound Messaging listener. As for mktows, node-soap only turns XML into
 * objects: this handler owns HTTP, refuses unknown senders, and acknowledges a message only
 * once every change in it is committed; anything else is a fault, which Salesforce retries.
 */
export async function createSalesforceOutboundEndpoint(
  salesforce: SalesforceSyncService,
  options: OutboundEndpointOptions,
  logger: Logger,
): Promise<(req: Request, res: Response) => void> {
  const allowed = new Set(options.allowedOrganizationIds.map(id15));
  const allowedNetworks = new NetworkList(options.allowedNetworks ?? []);
  let lastPurgeAt = 0;

  // node-soap answers a handler's error itself; the error is kept in the call's state, so that
  // every fault goes out through listenerFault.
  const notifications = async (
    args: RawObject | null,
    _soapHeaders: unknown,
    call: CallState | undefined,
  ) => {
    try {
      const organizationId = organizationIdOf(args ?? {});
      if (!allowed.has(id15(organizationId))) {
        throw new AppError(
          ErrorCode.ACCESS_DENIED,
          `Organization ${organizationId} is not allowed to send here (SFDC_ORG_IDS)`,
        );
      }
      const message = toOutboundMessage(args ?? {});
      const results = await salesforce.apply(organizationId, message.notifications, call?.deadline);
      const count = (outcome: string) => results.filter((r) => r.outcome === outcome).length;
      logger.info(
        {
          organizationId,
          actionId: message.actionId,
          notifications: results.length,
          applied: count('APPLIED'),
          repeats: count('REPEAT'),
          stale: count('STALE'),
          // Acknowledged with the rest, nothing of them stored: named, so that it shows.
          ...(message.skipped.length > 0 && {
            skipped: message.skipped.map((k) => ({
              notification: k.position,
              notificationId: k.notificationId,
              recordId: k.recordId,
              why: k.why,
            })),
          }),
        },
        'salesforce notifications',
      );
      return { Ack: true };
    } catch (error) {
      if (call) call.error = error;
      throw { Fault: { faultcode: 'SOAP-ENV:Server', faultstring: 'failed', statusCode: 500 } };
    }
  };
  const listener = await createSoapListener<CallState>({
    path: OUTBOUND_PATH,
    wsdlFile: options.wsdlFile,
    service: SERVICE,
    port: PORT,
    operations: { notifications },
    requestTimeoutMs: options.requestTimeoutMs,
    // A fault at the deadline is true, as on mktows: the notifications not yet committing are
    // withdrawn (nothing of them stored, then or later), and Salesforce's retry applies them.
    // One already committing is waited for: its outcome is the answer, the Ack included. The
    // retry after a fault is harmless either way: a notification committed is recorded, and
    // found done.
    timedOut: (state) => state.deadline.expire(),
    commitGraceMs: options.commitGraceMs ?? DEFAULT_COMMIT_GRACE_MS,
    publicUrl: options.publicUrl,
    refusedDrainBytes: refusedDrainBytes(options.maxBodyBytes),
    bodyTimeoutMs: options.bodyTimeoutMs,
    rawTextTypes: ['boolean', 'dateTime'],
  });

  const purgeWhenDue = () => {
    const now = Date.now();
    if (now - lastPurgeAt < PURGE_INTERVAL_MS) return;
    lastPurgeAt = now;
    salesforce.forgetOldNotifications().then(
      (forgotten) => {
        if (forgotten > 0) logger.info({ forgotten }, 'salesforce notifications forgotten');
      },
      (err: unknown) => logger.warn({ err }, 'could not forget old salesforce notifications'),
    );
  };

  const call = async (req: Request) => {
    const xml = decodeXmlBody(
      await readBody(req, options.maxBodyBytes, options.bodyTimeoutMs),
      req.headers['content-type'],
    );
    const sobjectTypes = new SObjectTypes(OUTBOUND_NS);
    const { bodyElement, headerNotUnderstood } = inspectEnvelope(xml, {
      maxDepth: 32,
      maxNameLength: 256,
      // Salesforce never writes multiRef; node-soap's copy per href cost hrefs × members.
      multiRef: false,
      // No header entry is processed here: one that must be understood is refused (SOAP 1.1).
      understoodHeaders: new Set(),
      // The sObjects' types, looked at in the same pass (refused below, after the sender).
      elementSeen: sobjectTypes.elementSeen,
    });
    if (headerNotUnderstood !== undefined) throw new MustUnderstand(headerNotUnderstood);
    if (bodyElement.local !== 'notifications' || bodyElement.ns !== OUTBOUND_NS) {
      throw new AppError(
        ErrorCode.UNSUPPORTED_OPERATION,
        `Only notifications in namespace ${OUTBOUND_NS} are accepted here`,
      );
    }
    // The sender first, from the text: node-soap's parse is the dearest step of a message.
    refuseUnknownSender(xml, allowed, id15);
    sobjectTypes.refuse();
    const slot: CallState = { deadline: new CallDeadline() };
    // The one operation is named by the body; whatever SOAPAction Salesforce sends is ignored.
    const { answer } = listener.process(
      xml,
      { headers: req.headers, url: OUTBOUND_PATH, soapAction: '' },
      slot,
    );
    const result = await answer;
    if (slot.error !== undefined) throw slot.error;
    if (result.statusCode !== 200) {
      throw new AppError(ErrorCode.REQUEST_NOT_UNDERSTOOD, 'The notifications could not be read');
    }
    return result.body;
  };

  const refuse = (res: Response, error: unknown, faultcode?: string) => {
    const fault = listenerFault(error, faultcode);
    res.set(MACHINE_ANSWER_HEADERS).status(fault.status).type(XML_TYPE).send(fault.body);
    const f = toWireFault(error);
    // Server-side faults keep their cause in the log; the caller only sees the generic text.
    // The database away: its cause in one line, as SOAP calls log it; a stack for the rest.
    if (isDatabaseUnavailable(error))
      logger.error({ cause: causeLine(error) }, 'salesforce listener failed');
    else if (f.faultcode.endsWith('Server'))
      logger.error({ err: error }, 'salesforce listener failed');
    else
      logger.info({ fault: f.vendorCode, reason: f.message }, 'salesforce notifications refused');
  };

  /**
   * A refusal made before the body is read (a wrong path secret, a client outside the allowed
   * networks): the rest of the body is discarded up to a bound, as mktows does, then the answer
   * closes the connection. Read without end, as before, an unauthenticated client could make
   * the listener read any amount it liked.
   */
  const unread = (req: Request, res: Response, answer: () => void) =>
    drainThen(req, refusedDrainBytes(options.maxBodyBytes), options.bodyTimeoutMs, () => {
      closeWhenBodyUnread(res, null);
      answer();
    });

  /** Refused before the body is read: fault 20013 (Access Denied) saying why. */
  const denied = (req: Request, res: Response, why: string) =>
    unread(req, res, () => refuse(res, new AppError(ErrorCode.ACCESS_DENIED, why)));

  return (req, res) => {
    // Every answer, the WSDL included, needs the right path: a wrong secret (or none, or a
    // listener without one) gets the service's plain 404, as if nothing were there.
    const presented = typeof req.params.secret === 'string' ? req.params.secret : '';
    if (options.pathSecret === '' || !sameSecret(presented, options.pathSecret)) {
      return unread(req, res, () =>
        res.set(SAFE_ANSWER_HEADERS).status(404).type('text/plain').send('Not found\n'),
      );
    }
    if (allowedNetworks.size > 0 && !allowedNetworks.contains(req.ip)) {
      logger.warn({ client: req.ip }, 'salesforce message from an address not allowed');
      return denied(
        req,
        res,
        `Client address ${req.ip ?? 'unknown'} is not allowed to send here (SFDC_ALLOWED_NETWORKS)`,
      );
    }
    listener.route(
      req,
      res,
      () => {
        if (allowed.size === 0) {
          return denied(req, res, 'No Salesforce organization is allowed (SFDC_ORG_IDS)');
        }
        call(req).then(
          (body) => {
            res.set(MACHINE_ANSWER_HEADERS).status(200).type(XML_TYPE).send(body);
            purgeWhenDue();
          },
          (error: unknown) => {
            if (res.headersSent) return;
            closeWhenBodyUnread(res, error);
            refuse(res, error, envelopeFaultcode(error));
          },
        );
      },
      listenerFault,
    );
  };
}
