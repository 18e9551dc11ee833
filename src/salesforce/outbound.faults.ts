import { toWireFault } from '../mktows/faults.js';
import { soapFaultXml } from '../soap-transport/fault-envelope.js';

/**
 * A SOAP 1.1 fault for the listener, with HTTP 500 so that Salesforce retries. The codes are
 * the service's usual ones (src/mktows/faults.ts); the faultstring carries the reason because it
 * is what Salesforce shows as the delivery failure reason.
 */
export function listenerFault(
  error: unknown,
  faultcodeOverride?: string,
): { status: number; body: string } {
  const f = toWireFault(error);
  const body = soapFaultXml({
    faultcode: faultcodeOverride ?? f.faultcode,
    faultstring: f.message,
    detailXml: `<code>${f.vendorCode}</code>`,
  });
  return { status: 500, body };
}
