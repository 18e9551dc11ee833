/**
 * checkXsi checks an xsi:nil or xsi:type attribute and hands back what it found: NIL, or the
 * type resolved in scope when asked (the envelope guard's Salesforce hook needs it), so that the
 * guard does not look the prefixes up a second time. Its refusals are those it always made.
 */
import { expect } from 'chai';
import { DocumentPrefixes, NIL } from '../../src/soap-transport/standard-reading.js';

const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
const SF = 'urn:sobject.enterprise.soap.sforce.com';

function prefixes(bindings: Record<string, string>) {
  const document = new DocumentPrefixes();
  for (const [prefix, uri] of Object.entries(bindings)) document.declare(prefix, uri);
  const resolve = (prefix: string) => bindings[prefix] ?? (prefix === '' ? '' : undefined);
  return { document, resolve };
}

describe('checkXsi: what an xsi attribute says of its element', () => {
  const { document, resolve } = prefixes({ xsi: XSI, sf: SF });

  it('NIL for xsi:nil true or 1, null for false or 0', () => {
    expect(document.checkXsi('xsi', 'nil', 'true', resolve)).to.equal(NIL);
    expect(document.checkXsi('xsi', 'nil', '1', resolve)).to.equal(NIL);
    expect(document.checkXsi('xsi', 'nil', 'false', resolve)).to.equal(null);
    expect(document.checkXsi('xsi', 'nil', '0', resolve)).to.equal(null);
  });

  it('the type resolved in scope when asked, as resolveQName reads it; null when not asked', () => {
    expect(document.checkXsi('xsi', 'type', 'sf:Lead', resolve, true)).to.deep.equal({
      written: 'sf:Lead',
      ns: SF,
      local: 'Lead',
    });
    expect(document.checkXsi('xsi', 'type', 'Lead', resolve, true)).to.deep.equal({
      written: 'Lead',
      ns: '',
      local: 'Lead',
    });
    expect(document.checkXsi('xsi', 'type', ' sf:Lead\n', resolve, true)).to.deep.equal({
      written: 'sf:Lead',
      ns: SF,
      local: 'Lead',
    });
    expect(document.checkXsi('xsi', 'type', 'zz:Lead', resolve, true)).to.deep.equal({
      written: 'zz:Lead',
      ns: undefined,
      local: 'Lead',
    });
    expect(document.checkXsi('xsi', 'type', 'sf:Lead', resolve)).to.equal(null);
  });

  it('null for an attribute of another namespace; the same refusals as before', () => {
    const other = prefixes({ xsi: XSI, o: 'urn:other' });
    expect(other.document.checkXsi('o', 'type', 'sf:Lead', other.resolve, true)).to.equal(null);
    expect(() => document.checkXsi('xsi', 'nil', 'TRUE', resolve)).to.throw(/is not true, false/);
    expect(() => document.checkXsi('xsi', 'type', 'sf:constructor', resolve, true)).to.throw(
      /is not accepted/,
    );
    // A prefix bound otherwise in scope than in node-soap's one map of the document.
    const scoped = (prefix: string) => (prefix === 'sf' ? 'urn:elsewhere' : resolve(prefix));
    expect(() => document.checkXsi('xsi', 'type', 'sf:Lead', scoped, true)).to.throw(
      /declare each prefix once/,
    );
  });
});
