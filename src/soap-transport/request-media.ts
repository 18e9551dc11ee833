import { AppError, ErrorCode } from '../errors.js';

// The media type of a Content-Type: a multipart one, whose type and subtype are tokens.
const MULTIPART_TYPE = /^\s*(multipart\/[!#$%&'*+.^_`|~0-9a-z-]{1,64})\s*(?:;|$)/i;

/**
 * The refusal of a request whose Content-Type says it is no single envelope, or null. A
 * multipart body (MTOM/XOP, as WCF with messageEncoding="Mtom" and JAX-WS with MTOM enabled send
 * every call, or SOAP with attachments) is refused from its Content-Type alone, before any of it
 * is read: the envelope is read as text, and mktows carried no binary data to attach. Read as
 * XML, its MIME framing was refused as "text outside the envelope", which told a client nothing
 * of what to change, and only after its whole body had been read.
 */
export function multipartRefusal(contentType: string | undefined): AppError | null {
  const type = contentType === undefined ? null : MULTIPART_TYPE.exec(contentType)?.[1];
  if (!type) return null;
  const named = type.toLowerCase();
  const mtom =
    named === 'multipart/related'
      ? ' (MTOM/XOP is not served: messageEncoding="Text" in WCF, no MTOMFeature in JAX-WS)'
      : '';
  return new AppError(
    ErrorCode.REQUEST_NOT_UNDERSTOOD,
    `A ${named} body is not read: send the SOAP envelope alone, as text/xml${mtom}`,
  );
}
