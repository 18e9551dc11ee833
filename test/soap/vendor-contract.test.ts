import fs from 'node:fs';
import { expect } from 'chai';
import sax from 'sax';
import { WSDL_FILE } from '../support/schema.js';
import { VENDOR_HEADER_TYPES, VENDOR_MEMBERS, VENDOR_OPERATIONS } from './vendor-contract.js';

interface Parsed {
  operations: Map<string, { input: string; output: string; soapAction: string; headers: string[] }>;
  elements: Map<string, string>;
  /** Complex type → its element children in sequence order (extensions included). */
  members: Map<string, string[]>;
  hasTopLevelDocumentation: boolean;
}

const local = (q: string) => q.slice(q.indexOf(':') + 1);

/** Our WSDL as the stub generators read it: messages → parts → elements → types. */
function parse(xml: string): Parsed {
  const parser = sax.parser(true, { xmlns: true });
  const messages = new Map<string, string>();
  const elements = new Map<string, string>();
  const members = new Map<string, string[]>();
  const binding = new Map<string, { soapAction: string; headers: string[] }>();
  const portType = new Map<string, { input: string; output: string }>();
  const stack: string[] = [];
  let message = '';
  let complexType = '';
  let operation = '';
  let depthOfTypes = 0;
  let hasTopLevelDocumentation = false;
  parser.onopentag = (t) => {
    const tag = t as sax.QualifiedTag;
    const attr = (n: string) => (tag.attributes[n] as sax.QualifiedAttribute | undefined)?.value;
    const parent = stack[stack.length - 1];
    stack.push(tag.local);
    if (tag.local === 'documentation' && parent === 'definitions') hasTopLevelDocumentation = true;
    if (tag.local === 'message') message = attr('name')!;
    if (tag.local === 'part' && parent === 'message')
      messages.set(message, local(attr('element')!));
    if (tag.local === 'complexType' && attr('name')) {
      complexType = attr('name')!;
      members.set(complexType, []);
      depthOfTypes = stack.length;
    }
    if (tag.local === 'element' && parent === 'schema')
      elements.set(attr('name')!, local(attr('type')!));
    else if (tag.local === 'element' && complexType && stack.length > depthOfTypes)
      members.get(complexType)!.push(attr('name')!);
    if (tag.local === 'operation' && parent === 'portType') {
      operation = attr('name')!;
      portType.set(operation, { input: '', output: '' });
    }
    if ((tag.local === 'input' || tag.local === 'output') && parent === 'operation') {
      const m = attr('message');
      if (m) portType.get(operation)![tag.local] = local(m);
    }
    if (tag.local === 'operation' && parent === 'binding') {
      operation = attr('name')!;
      binding.set(operation, { soapAction: '', headers: [] });
    }
    if (tag.local === 'operation' && parent === 'operation' && tag.uri.includes('/wsdl/soap/'))
      binding.get(operation)!.soapAction = attr('soapAction') ?? '';
    if (tag.local === 'header' && parent === 'input')
      binding.get(operation)!.headers.push(attr('part')!);
  };
  parser.onclosetag = () => {
    const closed = stack.pop();
    if (closed === 'complexType' && stack.length < depthOfTypes) complexType = '';
  };
  parser.write(xml).close();
  const operations = new Map<
    string,
    { input: string; output: string; soapAction: string; headers: string[] }
  >();
  for (const [name, io] of portType) {
    operations.set(name, {
      input: messages.get(io.input)!,
      output: messages.get(io.output)!,
      ...binding.get(name)!,
    });
  }
  return { operations, elements, members, hasTopLevelDocumentation };
}

describe('our WSDL against the vendor contract', () => {
  const ours = parse(fs.readFileSync(WSDL_FILE, 'utf8'));

  it('declares every vendor operation, and deleteLead as the only extra', () => {
    const names = [...ours.operations.keys()].sort();
    expect(names).to.deep.equal(
      [...VENDOR_OPERATIONS.map((o) => o.operation), 'deleteLead'].sort(),
    );
  });

  for (const vendor of VENDOR_OPERATIONS) {
    it(`${vendor.operation}: same elements, types, SOAPAction and headers`, () => {
      const op = ours.operations.get(vendor.operation)!;
      expect(op.input).to.equal(vendor.input);
      expect(op.output).to.equal(vendor.output);
      expect(ours.elements.get(vendor.input)).to.equal(vendor.inputType);
      expect(ours.elements.get(vendor.output)).to.equal(vendor.outputType);
      expect(op.soapAction).to.equal(`http://www.marketo.com/mktows/${vendor.operation}`);
      expect(op.headers).to.deep.equal(vendor.headers);
      expect(ours.members.get(vendor.outputType)).to.deep.equal([vendor.resultMember]);
    });
  }

  it('gives the vendor types the vendor members, in the vendor order', () => {
    for (const [type, members] of Object.entries(VENDOR_MEMBERS))
      expect(ours.members.get(type), type).to.deep.equal(members);
  });

  it('types the header elements with the vendor types (AuthenticationHeaderInfo, MktowsContextHeaderInfo)', () => {
    for (const [element, type] of Object.entries(VENDOR_HEADER_TYPES))
      expect(ours.elements.get(element), element).to.equal(type);
  });

  it('has no wsdl:documentation directly under wsdl:definitions (node-soap 0.2.x fails on it)', () => {
    expect(ours.hasTopLevelDocumentation).to.equal(false);
  });
});
