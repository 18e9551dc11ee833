import { escapeXml, SOAP11_NS, toWireFault } from '../soap/faults.js';

/**
 * A SOAP 1.1 fault for the listener, with HTTP 500 so that Salesforce retries. The codes are
 * the service's usual ones (src/soap/faults.ts); the faultstring carries the reason because it
 * is what Salesforce shows as the delivery failure reason.
 */
export function listenerFault(
  error: unknown,
  faultcodeOverride?: string,
): { status: number; body: string } {
  const f = toWireFault(error);
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<SOAP-ENV:Envelope xmlns:SOAP-ENV="${SOAP11_NS}">` +
    '<SOAP-ENV:Body><SOAP-ENV:Fault>' +
    `<faultcode>${escapeXml(faultcodeOverride ?? f.faultcode)}</faultcode>` +
    `<faultstring>${escapeXml(f.message)}</faultstring>` +
    `<detail><code>${f.vendorCode}</code></detail>` +
    '</SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>';
  return { status: 500, body };
}
