import { AppError, ErrorCode, isAppError } from '../errors.js';
import { escapeXml, soapFaultXml } from '../soap-transport/fault-envelope.js';
import type { LeadKey } from '../domain/lead.types.js';

export { escapeXml, SOAP11_NS } from '../soap-transport/fault-envelope.js';
export const MKTOWS_NS = 'http://www.marketo.com/mktows/';

interface FaultSpec {
  vendorCode: number;
  message: string;
  /** Whose fault: the caller's (Client) or ours (Server). */
  side: 'Client' | 'Server';
}

/**
 * Every fault goes out with HTTP 500, whatever its cause (a body too large or too slow
 * included), as SOAP 1.1 and WS-I Basic Profile (R1126) have it: JAX-WS, Axis 1, .NET's
 * SoapHttpClientProtocol and suds read a fault only from a 500, and report any other status
 * as a transport error naming it, the fault's code unread. (An address locked out after
 * repeated authentication failures is refused 429 before its request is read: security.md.)
 */
const FAULT_HTTP_STATUS = 500;

/** The single mapping from our error codes to the vendor's fault codes. */
const FAULTS: Record<ErrorCode, FaultSpec> = {
  INTERNAL: { vendorCode: 10001, message: 'Internal Error', side: 'Server' },
  DATABASE_UNAVAILABLE: {
    vendorCode: 20011,
    message: 'Internal Error',
    side: 'Server',
  },
  REQUEST_NOT_UNDERSTOOD: {
    vendorCode: 20012,
    message: 'Request Not Understood',
    side: 'Client',
  },
  ACCESS_DENIED: { vendorCode: 20013, message: 'Access Denied', side: 'Client' },
  AUTHENTICATION_FAILED: {
    vendorCode: 20014,
    message: 'Authentication failed',
    side: 'Client',
  },
  REQUEST_EXPIRED: {
    vendorCode: 20016,
    message: 'Request Expired',
    side: 'Client',
  },
  INVALID_REQUEST: {
    vendorCode: 20017,
    message: 'Invalid Request',
    side: 'Client',
  },
  UNSUPPORTED_OPERATION: {
    vendorCode: 20019,
    message: 'Unsupported Operation',
    side: 'Client',
  },
  RATE_LIMIT_EXCEEDED: {
    vendorCode: 20023,
    message: 'Rate Limit Exceeded',
    side: 'Client',
  },
  CONCURRENCY_LIMIT_EXCEEDED: {
    vendorCode: 20024,
    message: 'Concurrency Limit Exceeded',
    side: 'Client',
  },
  REQUEST_TIMEOUT: {
    vendorCode: 20012,
    message: 'Request Not Understood',
    side: 'Client',
  },
  REQUEST_TOO_LARGE: {
    vendorCode: 20012,
    message: 'Request Not Understood',
    side: 'Client',
  },
  LEAD_KEY_REQUIRED: {
    vendorCode: 20101,
    message: 'Lead Key Required',
    side: 'Client',
  },
  LEAD_KEY_BAD: { vendorCode: 20102, message: 'Lead Key Bad', side: 'Client' },
  // As the vendor's service wrote it (its table of codes says `Lead Not Found`): integrations
  // print the faultstring and their tests compare it whole.
  LEAD_NOT_FOUND: { vendorCode: 20103, message: 'Lead not found', side: 'Client' },
  LEAD_OWNER_NOT_FOUND: {
    vendorCode: 20108,
    message: 'Lead Owner Not Found',
    side: 'Client',
  },
  LEAD_DETAIL_REQUIRED: {
    vendorCode: 20104,
    message: 'Lead Detail Required',
    side: 'Client',
  },
  LEAD_ATTRIBUTE_BAD: {
    vendorCode: 20105,
    message: 'Lead Attribute Bad',
    side: 'Client',
  },
  LEAD_SYNC_FAILED: {
    vendorCode: 20106,
    message: 'Lead Sync Failed',
    side: 'Client',
  },
  ACTIVITY_KEY_BAD: {
    vendorCode: 20107,
    message: 'Activity Key Bad',
    side: 'Client',
  },
  LIST_NOT_FOUND: { vendorCode: 20111, message: 'List Not Found', side: 'Client' },
  // Console jobs only: no SOAP operation looks one up.
  JOB_NOT_FOUND: { vendorCode: 20110, message: 'Bad Parameter', side: 'Client' },
  PARAMETER_REQUIRED: {
    vendorCode: 20109,
    message: 'Parameter Required',
    side: 'Client',
  },
  BAD_PARAMETER: { vendorCode: 20110, message: 'Bad Parameter', side: 'Client' },
  BAD_STREAM_POSITION: {
    vendorCode: 20122,
    message: 'Bad Stream Position',
    side: 'Client',
  },
  STREAM_AT_END: { vendorCode: 20123, message: 'Stream at End', side: 'Client' },
};

export interface WireFault {
  vendorCode: number;
  faultcode: string;
  faultstring: string;
  /** The detail text: our message when the error is the caller's, the generic one otherwise. */
  message: string;
  httpStatus: number;
}

/**
 * Anything that is not an AppError becomes a generic Server fault: internals (SQL, stack
 * traces, file names) never reach the caller.
 */
export function toWireFault(error: unknown): WireFault {
  const app = isAppError(error) ? error : new AppError(ErrorCode.INTERNAL, 'Internal Error');
  const spec = FAULTS[app.code];
  const detail = spec.side === 'Client' ? app.message : spec.message;
  return {
    vendorCode: spec.vendorCode,
    faultcode: `SOAP-ENV:${spec.side}`,
    faultstring: `${spec.vendorCode} - ${spec.message}`,
    message: `${detail} (${spec.vendorCode})`,
    httpStatus: FAULT_HTTP_STATUS,
  };
}

/** The error text a FAILED syncStatus carries. */
export function syncErrorText(error: AppError): string {
  const f = toWireFault(error);
  return `${f.vendorCode} - ${error.message}`;
}

/** The shape node-soap turns into a SOAP 1.1 fault (it needs statusCode, or it answers 200). */
export function toNodeSoapFault(error: unknown): { Fault: Record<string, unknown> } {
  const f = toWireFault(error);
  return {
    Fault: {
      faultcode: f.faultcode,
      faultstring: f.faultstring,
      detail: {
        'ns1:serviceException': {
          attributes: { 'xmlns:ns1': MKTOWS_NS },
          name: 'mktServiceException',
          message: f.message,
          code: String(f.vendorCode),
        },
      },
      statusCode: f.httpStatus,
    },
  };
}

/** A complete fault envelope, for answers given before node-soap sees the request. */
export function faultEnvelope(
  error: unknown,
  faultcodeOverride?: string,
): { status: number; body: string } {
  const f = toWireFault(error);
  const body = soapFaultXml({
    faultcode: faultcodeOverride ?? f.faultcode,
    faultstring: f.faultstring,
    detailXml:
      `<ns1:serviceException xmlns:ns1="${MKTOWS_NS}">` +
      '<name>mktServiceException</name>' +
      `<message>${escapeXml(f.message)}</message>` +
      `<code>${f.vendorCode}</code>` +
      '</ns1:serviceException>',
  });
  return { status: f.httpStatus, body };
}

/**
 * 20103 worded as the vendor's service worded it, naming the key the call gave:
 * `No lead found with EMAIL = x` (the key is at most 255 characters: toLeadKey).
 */
export function leadNotFound(key: LeadKey, cause?: unknown): AppError {
  return new AppError(
    ErrorCode.LEAD_NOT_FOUND,
    `No lead found with ${key.keyType} = ${key.keyValue}`,
    cause === undefined ? undefined : { cause },
  );
}

/** `work`, its 20103 worded as leadNotFound words it. */
export async function namingKey<T>(key: LeadKey, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (isAppError(error) && error.code === ErrorCode.LEAD_NOT_FOUND)
      throw leadNotFound(key, error);
    throw error;
  }
}
