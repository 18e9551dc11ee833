import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { elementTree } from '../../src/soap-transport/schema-elements.js';
import { inspectEnvelope } from '../../src/soap-transport/envelope-guard.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const WSDL = fs.readFileSync(path.resolve(here, '../../wsdl/mktows.wsdl'), 'utf8');

/** Whether the path of child names (from a top-level element) stands where the schema puts it. */
function stands(tree: ReturnType<typeof elementTree>, top: string, ...names: string[]): boolean {
  let node = tree.body(top);
  for (const name of names) node = node?.child(name);
  return node !== undefined;
}

describe('the element tree of the WSDL’s schema', () => {
  const tree = elementTree(WSDL);

  it('places each member where its type declares it, names in any case', () => {
    expect(stands(tree, 'paramsGetLead', 'leadKey', 'keyType')).to.equal(true);
    expect(stands(tree, 'paramsGetLead', 'LEADKEY', 'KeyValue')).to.equal(true);
    expect(
      stands(tree, 'paramsSyncLead', 'leadRecord', 'leadAttributeList', 'attribute', 'attrValue'),
    ).to.equal(true);
    expect(stands(tree, 'paramsGetLeadActivity', 'startPosition', 'activityCreatedAt')).to.equal(
      true,
    );
    expect(
      stands(tree, 'paramsGetLeadActivity', 'activityFilter', 'includeTypes', 'activityType'),
    ).to.equal(true);
    expect(
      stands(tree, 'paramsMergeLeads', 'losingLeadKeyLists', 'keyList', 'attribute', 'attrName'),
    ).to.equal(true);
  });

  it('reads a member under another name where it is told to, and only there', () => {
    const also = elementTree(WSDL, { LeadRecord: { leadId: 'Id' } });
    expect(stands(also, 'paramsSyncLead', 'leadRecord', 'leadId')).to.equal(true);
    expect(
      stands(also, 'paramsSyncMultipleLeads', 'leadRecordList', 'leadRecord', 'LEADID'),
    ).to.equal(true);
    expect(stands(tree, 'paramsSyncLead', 'leadRecord', 'leadId')).to.equal(false);
    expect(stands(also, 'paramsGetLead', 'leadKey', 'leadId')).to.equal(false);
    expect(() => elementTree(WSDL, { LeadRecord: { leadId: 'NoSuchMember' } })).to.throw(
      /declares no NoSuchMember/,
    );
  });

  it('gives an abstract type (LeadSelector) the members of every type derived from it', () => {
    for (const top of ['paramsGetMultipleLeads', 'paramsGetLeadChanges']) {
      expect(stands(tree, top, 'leadSelector', 'keyValues', 'stringItem')).to.equal(true);
      expect(stands(tree, top, 'leadSelector', 'oldestUpdatedAt')).to.equal(true);
      expect(stands(tree, top, 'leadSelector', 'staticListName')).to.equal(true);
      expect(stands(tree, top, 'leadSelector', 'includeAttributes')).to.equal(false);
    }
  });

  it('refuses a member declared only for another type, and any child of a simple value', () => {
    expect(stands(tree, 'paramsGetLead', 'leadKey', 'Email')).to.equal(false);
    expect(stands(tree, 'paramsSyncLead', 'leadRecord', 'keyType')).to.equal(false);
    expect(stands(tree, 'paramsGetLeadActivity', 'activityFilter', 'includeAttributes')).to.equal(
      false,
    );
    expect(stands(tree, 'paramsGetLead', 'leadKey', 'keyValue', 'keyValue')).to.equal(false);
    expect(tree.body('leadKey')).to.equal(undefined);
    expect(tree.body('paramsNoSuchOperation')).to.equal(undefined);
  });

  it("lets an array of arrays' inner items stand under the outer item name, one level only (Axis 1.4)", () => {
    const losing = ['paramsMergeLeads', 'losingLeadKeyLists', 'keyList'] as const;
    expect(stands(tree, ...losing, 'keyList', 'attrName')).to.equal(true);
    expect(stands(tree, ...losing, 'KEYLIST', 'attrValue')).to.equal(true);
    expect(stands(tree, ...losing, 'keyList', 'keyList')).to.equal(false);
    expect(stands(tree, ...losing, 'keyList', 'attribute')).to.equal(false);
    expect(stands(tree, 'paramsMergeLeads', 'winningLeadKeyList', 'keyList')).to.equal(false);
    expect(
      stands(tree, 'paramsSyncLead', 'leadRecord', 'leadAttributeList', 'leadAttributeList'),
    ).to.equal(false);
  });

  it('tells a list’s member (maxOccurs unbounded) from a single element, names in any case', () => {
    const node = (top: string, ...names: string[]) => {
      let found = tree.body(top);
      for (const name of names) found = found?.child(name);
      return found!;
    };
    expect(node('paramsSyncLead', 'leadRecord', 'leadAttributeList').repeats('attribute')).to.equal(
      true,
    );
    expect(node('paramsSyncMultipleLeads', 'leadRecordList').repeats('LEADRECORD')).to.equal(true);
    expect(node('paramsSyncLead').repeats('leadRecord')).to.equal(false);
    expect(node('paramsSyncLead', 'leadRecord').repeats('leadAttributeList')).to.equal(false);
    expect(node('paramsMergeLeads', 'losingLeadKeyLists').repeats('keyList')).to.equal(true);
    // Axis 1.4's inner item under the outer name is one of the inner list.
    expect(node('paramsMergeLeads', 'losingLeadKeyLists', 'keyList').repeats('keyList')).to.equal(
      true,
    );
    expect(node('paramsGetLead', 'leadKey', 'keyValue').repeats('x')).to.equal(false);
  });

  it('refuses a schema it would only half understand', () => {
    const schema = (inner: string) =>
      `<xs:schema><xs:complexType name="T"><xs:sequence>${inner}</xs:sequence></xs:complexType></xs:schema>`;
    expect(() => elementTree(schema('<xs:element ref="tns:x"/>'))).to.throw(/name and a type/);
    expect(() => elementTree(schema('<xs:any/>'))).to.throw(/xs:any is not understood/);
  });

  it('lets the envelope guard name a misplaced member and its parent', () => {
    const xml =
      '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="http://www.marketo.com/mktows/">' +
      '<SOAP-ENV:Body><ns1:paramsGetLead><leadKey><keyType>EMAIL</keyType><Email>x</Email><keyValue>a</keyValue></leadKey></ns1:paramsGetLead></SOAP-ENV:Body></SOAP-ENV:Envelope>';
    const summary = inspectEnvelope(xml, { maxDepth: 64, maxNameLength: 256, elementTree: tree });
    expect(summary.unknownElement).to.equal('Email');
    expect(summary.unknownElementParent).to.equal('leadKey');
    // Below an unknown element nothing more is looked at; an unserved body is not placed.
    const other = xml.replace(/paramsGetLead/g, 'paramsNoSuchOperation');
    expect(
      inspectEnvelope(other, { maxDepth: 64, maxNameLength: 256, elementTree: tree })
        .unknownElement,
    ).to.equal(undefined);
  });
});
