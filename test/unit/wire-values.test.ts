import { expect } from 'chai';
import { FieldCatalogue } from '../../src/domain/field-catalogue.js';
import { describeLeadRecord } from '../../src/mktows/describe.mapper.js';
import { fromLeadView, toKeyList, toLeadInput } from '../../src/mktows/lead-record.mapper.js';
import {
  bool,
  formatDateTime,
  formatLatestBound,
  formatOldestBound,
  latestDateTime,
  member,
  memberAs,
  spelledAs,
} from '../../src/soap-transport/values.js';
import { AppError } from '../../src/errors.js';

describe('wire values as the vendor sent them', () => {
  it('reads booleans true/false/1/0 in any case, and refuses anything else', () => {
    for (const t of ['true', 'TRUE', 'True', '1', ' true ']) expect(bool(t, 'b')).to.equal(true);
    for (const f of ['false', 'FALSE', 'False', '0']) expect(bool(f, 'b')).to.equal(false);
    for (const bad of ['yes', '', 'tru']) expect(() => bool(bad, 'b')).to.throw(AppError);
  });

  it('finds members case-insensitively, the exact spelling first', () => {
    expect(member({ foreignSysPersonId: 'x' }, 'ForeignSysPersonId')).to.equal('x');
    expect(member({ Email: 'a', email: 'b' }, 'Email')).to.equal('a');
    expect(member({ attributes: { type: 'x' } }, 'Attributes')).to.equal(undefined);
    expect(toLeadInput({ EMAIL: 'a@example.com', id: '7' })).to.include({
      email: 'a@example.com',
      id: 7,
    });
  });

  it("finds a record's members in any case beside exactly spelt ones, and an exactly spelt record's missing ones missing", () => {
    // One member in another case makes the whole record looked up case-insensitively.
    expect(
      toLeadInput({ Email: 'a@example.com', foreignSysPersonId: 'F1', FOREIGNSYSTYPE: 'SFDC' }),
    ).to.include({ email: 'a@example.com', foreignSysPersonId: 'F1', foreignSysType: 'SFDC' });
    expect(toLeadInput({ attributes: { 'xsi:type': 'LeadRecord' }, id: '5' })).to.include({
      id: 5,
    });
    const exact = toLeadInput({ Email: 'a@example.com', leadAttributeList: null });
    expect(exact).to.deep.equal({ email: 'a@example.com', attributes: [] });
    // A name inherited, not the record's own, is no member.
    const inherited = Object.create({ Id: '9' }) as Record<string, unknown>;
    inherited.Email = 'a@example.com';
    expect(toLeadInput(inherited)).to.not.have.property('id');
    expect(spelledAs({ Email: 'x', attributes: {} }, new Set(['Email']))).to.equal(true);
    expect(spelledAs({ email: 'x' }, new Set(['Email']))).to.equal(false);
    expect(memberAs({ email: 'x' }, 'Email', false)).to.equal('x');
    expect(memberAs({ Email: 'x' }, 'Id', true)).to.equal(undefined);
  });

  it('writes boolean attributes as 1/0 and orders attributes by name, any case', () => {
    const record = fromLeadView({
      id: 1,
      email: 'a@example.com',
      foreignSysPersonId: null,
      foreignSysType: null,
      partition: 'Default',
      unsubscribed: false,
      createdAt: new Date(0),
      updatedAt: new Date(0),
      attributes: [
        { name: 'Unsubscribed', type: 'boolean', value: 'false' },
        { name: 'DoNotCall', type: 'boolean', value: 'true' },
        { name: 'city', type: 'string', value: 'Oslo' },
        { name: 'Address', type: 'text', value: '1 Main St' },
      ],
    });
    const list = (record.leadAttributeList as { attribute: Array<Record<string, string>> })
      .attribute;
    expect(list.map((a) => `${a.attrName}:${a.attrType}:${a.attrValue}`)).to.deep.equal([
      'Address:text:1 Main St',
      'city:string:Oslo',
      'DoNotCall:boolean:1',
      'Unsubscribed:boolean:0',
    ]);
  });

  it('reads a merge key list as lead keys', () => {
    expect(
      toKeyList({ attribute: [{ attrName: 'IDNUM', attrValue: '2' }] }, 'winningLeadKeyList'),
    ).to.deep.equal([{ keyType: 'IDNUM', keyValue: '2' }]);
    expect(() => toKeyList({}, 'winningLeadKeyList')).to.throw(AppError);
    expect(() =>
      toKeyList({ attribute: [{ attrName: 'NOPE', attrValue: '2' }] }, 'winningLeadKeyList'),
    ).to.throw(AppError);
  });

  it('describes LeadRecord with standard and custom fields in the vendor vocabulary', () => {
    const meta = describeLeadRecord(new FieldCatalogue([{ name: 'Segment', type: 'string' }])) as {
      name: string;
      fieldList: { field: Array<Record<string, unknown>> };
    };
    expect(meta.name).to.equal('LeadRecord');
    const byName = new Map(meta.fieldList.field.map((f) => [f.name, f]));
    expect(byName.get('Id')).to.include({
      dataType: 'integer',
      isPrimaryKey: true,
      isReadonly: true,
    });
    expect(byName.get('Email')).to.include({ dataType: 'email', isCustom: false });
    expect(byName.get('Phone')).to.include({ dataType: 'phone', size: 255 });
    expect(byName.get('Website')).to.include({ dataType: 'url' });
    expect(byName.get('AnnualRevenue')).to.include({ dataType: 'currency', size: null });
    expect(byName.get('Unsubscribed')).to.include({ dataType: 'boolean' });
    expect(byName.get('Segment')).to.include({ dataType: 'string', isCustom: true });
  });

  it('writes dates in whole seconds with an offset, and bounds so that they read back the same', () => {
    const at = new Date('2026-12-04T08:18:28.123Z');
    expect(formatDateTime(at)).to.equal('2026-12-04T08:18:28+00:00');
    // An upper bound in whole seconds holds all of its second, and goes back as that second.
    const whole = latestDateTime('2026-12-04T00:18:28-08:00', 'latestCreatedAt')!;
    expect(whole.toISOString()).to.equal('2026-12-04T08:18:28.999Z');
    expect(formatLatestBound(whole)).to.equal('2026-12-04T08:18:28+00:00');
    // With a fraction, to the millisecond both ways.
    const half = latestDateTime('2026-12-04T08:18:28.5Z', 'latestCreatedAt')!;
    expect(half.getTime()).to.equal(Date.parse('2026-12-04T08:18:28.5Z'));
    expect(Date.parse(formatLatestBound(half))).to.equal(half.getTime());
    // A fraction of zeros is that whole second: the form in which Axis (`.000`) and .NET (seven
    // digits) write back a date answered in whole seconds.
    for (const given of ['2026-12-04T08:18:28.000Z', '2026-12-04T08:18:28.0000000+00:00']) {
      const d = latestDateTime(given, 'latestCreatedAt')!;
      expect(d.toISOString()).to.equal('2026-12-04T08:18:28.999Z');
      expect(formatLatestBound(d)).to.equal('2026-12-04T08:18:28+00:00');
    }
    expect(formatOldestBound(new Date('2026-12-04T08:18:28Z'))).to.equal(
      '2026-12-04T08:18:28+00:00',
    );
    expect(formatOldestBound(at)).to.equal('2026-12-04T08:18:28.123+00:00');
    // An offset that moves the last day past 9999 in UTC is refused when read: written back
    // it would be +010000-…, which no xs:dateTime reader takes.
    expect(() => latestDateTime('9999-12-31T23:59:59-14:00', 'latestCreatedAt')).to.throw(
      'latestCreatedAt must be an xs:dateTime',
    );
  });
});
