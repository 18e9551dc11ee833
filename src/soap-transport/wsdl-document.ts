import { escapeXml } from './fault-envelope.js';

/** The service's address in a WSDL, the part of it each GET ?WSDL names afresh. */
const SOAP_ADDRESS = /(<soap:address\s+location=")[^"]*(")/;

/**
 * A WSDL as its GET ?WSDL answer is sent: the bytes before and after its soap:address location,
 * encoded once, and the location of each request between them. Made afresh for each request
 * (the document's text with the location replaced, then encoded to UTF-8), the 77 KB mktows WSDL
 * cost 1.6 ms of CPU per GET, ten times a /healthz, to anyone who asked: its text holds a
 * character outside ASCII, and the new string was encoded in V8's slowest way.
 */
export class WsdlDocument {
  private readonly head: Buffer;
  /** null: the document names no address, and is sent as it is. */
  private readonly tail: Buffer | null;

  constructor(xml: string) {
    const m = SOAP_ADDRESS.exec(xml);
    if (!m) {
      this.head = Buffer.from(xml);
      this.tail = null;
      return;
    }
    const start = m.index + m[1]!.length;
    const end = m.index + m[0].length - m[2]!.length;
    this.head = Buffer.from(xml.slice(0, start));
    this.tail = Buffer.from(xml.slice(end));
  }

  /** The document naming `location` (escaped here) as the service's address. */
  at(location: string): Buffer {
    if (this.tail === null) return this.head;
    return Buffer.concat([this.head, Buffer.from(escapeXml(location)), this.tail]);
  }
}
