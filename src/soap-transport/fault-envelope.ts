export const SOAP11_NS = 'http://schemas.xmlsoap.org/soap/envelope/';

/** Text safe inside an XML element or attribute. */
export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A complete SOAP 1.1 fault envelope, for answers a listener gives itself (before or instead of
 * node-soap). `detailXml` is trusted markup built by the caller from escaped parts.
 */
export function soapFaultXml(fault: {
  faultcode: string;
  faultstring: string;
  detailXml: string;
}): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<SOAP-ENV:Envelope xmlns:SOAP-ENV="${SOAP11_NS}">` +
    '<SOAP-ENV:Body><SOAP-ENV:Fault>' +
    `<faultcode>${escapeXml(fault.faultcode)}</faultcode>` +
    `<faultstring>${escapeXml(fault.faultstring)}</faultstring>` +
    `<detail>${fault.detailXml}</detail>` +
    '</SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>'
  );
}
