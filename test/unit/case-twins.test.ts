import { expect } from 'chai';
import { AppError } from '../../src/errors.js';
import { refuseCaseTwins } from '../../src/soap-transport/case-twins.js';

/** refuseCaseTwins (test/hostile/case-twin-members.test.ts runs it through the endpoint). */
describe('refuseCaseTwins', () => {
  const refusal = (value: unknown): AppError | undefined => {
    try {
      refuseCaseTwins(value, 'paramsX');
      return undefined;
    } catch (error) {
      if (error instanceof AppError) return error;
      throw error;
    }
  };

  it('passes members spelt one way each, nested in objects and lists, and XML attributes', () => {
    const value = {
      attributes: { 'xsi:type': 'x' },
      LeadRecordList: { leadRecord: [{ Email: 'a', leadAttributeList: { Attribute: [] } }] },
      stringItem: ['a', 'A'],
    };
    expect(refusal(value)).to.equal(undefined);
  });

  it('finds two spellings among a few members and among many, at any depth, naming them', () => {
    const few = { list: [{ attribute: { attrValue: 'false', AttrValue: 'true' } }] };
    expect(refusal(few)?.message).to.equal(
      'attribute holds attrValue and AttrValue: one member spelt two ways; spell it one way',
    );
    const many: Record<string, unknown> = {};
    for (let i = 0; i < 5000; i++) many[`m${i}`] = String(i);
    many.M4999 = 'x';
    expect(refusal({ deep: [{ many }] })?.code).to.equal('BAD_PARAMETER');
  });
});
