/**
 * The prefix answers write their Body element in. node-soap takes the WSDL's own alias of the
 * target namespace (`tns:successGetLead`, declared on the Envelope). A service answering in
 * another server's place may need that server's prefix on the wire, without changing the WSDL
 * it publishes: integrations that read answers by prefix as written (Python's minidom and
 * JavaScript's getElementsByTagName('ns1:…'), PHP SimpleXML's children('ns1', true), an XPath
 * taking its prefixes from the answer, a regular expression) find nothing under another one.
 */

/** An operation's answer as node-soap's parsed binding holds it. */
interface BindingOutput {
  targetNSAlias?: string;
  targetNamespace?: string;
}

/** The parts of node-soap's parsed WSDL that decide the Envelope's and the element's prefix. */
export interface PrefixedWsdl {
  xmlnsInEnvelope: string;
  options: { ignoredNamespaces?: unknown };
  definitions: {
    services: Record<
      string,
      {
        ports: Record<string, { binding: { methods: Record<string, { output?: BindingOutput }> } }>;
      }
    >;
  };
}

const PREFIX = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * Makes node-soap write every answer element of namespace `namespace` as `prefix:name`, the
 * prefix declared once on the Envelope after `xmlns:xsi` (`<SOAP-ENV:Envelope
 * xmlns:SOAP-ENV="…" xmlns:xsi="…" xmlns:ns1="…">`), never again on the element. Call before
 * the answer writer is installed: it reads the ignored prefixes once.
 */
export function answerInPrefix(
  wsdl: PrefixedWsdl,
  namespace: string,
  prefix: string,
  xsi: string,
): void {
  if (!PREFIX.test(prefix)) throw new Error(`Not an XML prefix: ${prefix}`);
  for (const service of Object.values(wsdl.definitions.services))
    for (const port of Object.values(service.ports))
      for (const method of Object.values(port.binding.methods))
        if (method.output?.targetNamespace === namespace) method.output.targetNSAlias = prefix;
  // Declared on the Envelope, so node-soap must not declare it again on the element: it
  // declares every prefix it is not told to leave out (it leaves the WSDL's `tns` out too).
  const ignored = wsdl.options.ignoredNamespaces;
  const list = Array.isArray(ignored) ? (ignored as unknown[]) : [];
  if (!list.includes(prefix)) wsdl.options.ignoredNamespaces = [...list, prefix];
  // The Envelope's other declarations stay; then xsi and the prefix, in the vendor's order.
  const declarations = wsdl.xmlnsInEnvelope.match(/xmlns:[^\s=]+="[^"]*"/g) ?? [];
  const others = declarations.filter(
    (d) => !d.endsWith(`="${namespace}"`) && !d.startsWith('xmlns:xsi='),
  );
  wsdl.xmlnsInEnvelope = [...others, `xmlns:xsi="${xsi}"`, `xmlns:${prefix}="${namespace}"`].join(
    ' ',
  );
}
