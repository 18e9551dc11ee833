import { expect } from 'chai';
import { inspectEnvelope } from '../../src/soap-transport/envelope-guard.js';
import { resolveQName, type ResolvedQName } from '../../src/soap-transport/qualified-names.js';

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';

/** The elements the guard tells of, in order: `{ns}local` and the xsi:type it resolved. */
function seen(body: string, declarations = ''): Array<[string, ResolvedQName | null]> {
  const elements: Array<[string, ResolvedQName | null]> = [];
  inspectEnvelope(
    `<s:Envelope xmlns:s="${SOAP11}" xmlns:xsi="${XSI}"${declarations}><s:Body>${body}</s:Body></s:Envelope>`,
    {
      maxDepth: 16,
      maxNameLength: 256,
      elementSeen: (ns, local, type) => elements.push([`{${ns}}${local}`, type]),
    },
  );
  return elements;
}

/** The xsi:type the guard resolved on the element named `{ns}local`. */
const typeOn = (elements: Array<[string, ResolvedQName | null]>, name: string) =>
  elements.find(([n]) => n === name)?.[1];

describe('a QName value resolved with the bindings in scope', () => {
  const bindings: Record<string, string> = { '': 'urn:default', a: 'urn:a' };
  const resolve = (prefix: string) => bindings[prefix];

  it('resolves a prefix, the default namespace without one, undefined for an unbound prefix', () => {
    expect(resolveQName('a:Lead', resolve)).to.deep.equal({
      written: 'a:Lead',
      ns: 'urn:a',
      local: 'Lead',
    });
    expect(resolveQName('Lead', resolve)).to.deep.equal({
      written: 'Lead',
      ns: 'urn:default',
      local: 'Lead',
    });
    expect(resolveQName('zz:Lead', resolve).ns).to.equal(undefined);
  });

  it('ignores the whitespace around the value', () => {
    expect(resolveQName(' \t\na:Lead \r\n', resolve)).to.deep.equal({
      written: 'a:Lead',
      ns: 'urn:a',
      local: 'Lead',
    });
  });
});

describe("envelope guard: each element told, with its xsi:type resolved in the element's scope", () => {
  it('tells every element in document order, null where it has no xsi:type', () => {
    const elements = seen('<m:op xmlns:m="urn:m"><x>1</x><m:y/></m:op>');
    expect(elements.map(([n]) => n)).to.deep.equal([
      `{${SOAP11}}Envelope`,
      `{${SOAP11}}Body`,
      '{urn:m}op',
      '{}x',
      '{urn:m}y',
    ]);
    expect(elements.every(([, type]) => type === null)).to.equal(true);
  });

  it('resolves the type through prefixes bound on the element or above it', () => {
    const elements = seen(
      '<m:op xmlns:m="urn:m"><a xsi:type="t:Lead" xmlns:t="urn:own"/><b xsi:type="e:Lead"/></m:op>',
      ' xmlns:e="urn:envelope"',
    );
    expect(typeOn(elements, '{}a')).to.deep.equal({
      written: 't:Lead',
      ns: 'urn:own',
      local: 'Lead',
    });
    expect(typeOn(elements, '{}b')!.ns).to.equal('urn:envelope');
  });

  it('says when the prefix is bound nowhere in scope', () => {
    const elements = seen('<m:op xmlns:m="urn:m"><a xsi:type="zz:Lead"/></m:op>');
    expect(typeOn(elements, '{}a')).to.deep.equal({
      written: 'zz:Lead',
      ns: undefined,
      local: 'Lead',
    });
  });

  it('reads a type without a prefix in the default namespace, or in none', () => {
    const inDefault = seen('<op xmlns="urn:d"><a xsi:type="Lead"/></op>');
    expect(typeOn(inDefault, '{urn:d}a')!.ns).to.equal('urn:d');
    const inNone = seen('<m:op xmlns:m="urn:m"><a xsi:type="Lead"/></m:op>');
    expect(typeOn(inNone, '{}a')!.ns).to.equal('');
  });

  it('takes the innermost declaration of a prefix redeclared in an inner scope', () => {
    // After the inner scope, the outer binding in scope would differ from node-soap's one map
    // of the document (its last declaration): the guard refuses that (standard-reading.ts).
    const elements = seen(
      '<m:op xmlns:m="urn:m" xmlns:t="urn:outer"><b xsi:type="t:Lead"/>' +
        '<inner xmlns:t="urn:inner"><a xsi:type="t:Lead"/></inner></m:op>',
    );
    expect(typeOn(elements, '{}b')!.ns).to.equal('urn:outer');
    expect(typeOn(elements, '{}a')!.ns).to.equal('urn:inner');
  });

  it('ignores the whitespace around the type and decodes its references', () => {
    const elements = seen(
      '<m:op xmlns:m="urn:m" xmlns:t="urn:t"><a xsi:type=" &#x9;t:Lead&#10; "/></m:op>',
    );
    expect(typeOn(elements, '{}a')).to.deep.equal({
      written: 't:Lead',
      ns: 'urn:t',
      local: 'Lead',
    });
  });

  it('reads a type attribute only in the XML Schema instance namespace', () => {
    const elements = seen('<m:op xmlns:m="urn:m" xmlns:o="urn:o"><a o:type="m:Lead"/></m:op>');
    expect(typeOn(elements, '{}a')).to.equal(null);
  });
});
