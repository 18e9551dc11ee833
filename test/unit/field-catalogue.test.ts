import { expect } from 'chai';
import { FieldCatalogue, STANDARD_FIELDS } from '../../src/domain/field-catalogue.js';
import { AppError, ErrorCode } from '../../src/errors.js';

const catalogue = new FieldCatalogue([
  { name: 'Shoe_Size', type: 'integer' },
  { name: 'Score2', type: 'float' },
  { name: 'IsVip', type: 'boolean' },
  { name: 'Renewal', type: 'date' },
  { name: 'LastSeen', type: 'datetime' },
  { name: 'Nickname', type: 'string' },
  { name: 'Notes', type: 'text' },
]);

function parse(name: string, raw: string | null) {
  return catalogue.parse(name, raw).value;
}

function expectBad(name: string, raw: string | null): void {
  let caught: unknown;
  try {
    catalogue.parse(name, raw);
  } catch (error) {
    caught = error;
  }
  expect(caught, `${name}=${JSON.stringify(raw)}`).to.be.instanceOf(AppError);
  expect((caught as AppError).code).to.equal(ErrorCode.LEAD_ATTRIBUTE_BAD);
}

describe('FieldCatalogue', () => {
  it('knows the standard fields and their display names', () => {
    expect(catalogue.get('Unsubscribed')).to.include({ type: 'boolean', column: 'unsubscribed' });
    expect(catalogue.get('FirstName').displayName).to.equal('First Name');
    expect(catalogue.get('Company').displayName).to.equal('Company Name');
    expect(new FieldCatalogue().all()).to.have.length(STANDARD_FIELDS.length);
  });

  it('matches names case-insensitively and ignoring surrounding spaces', () => {
    expect(catalogue.get('unsubscribed').name).to.equal('Unsubscribed');
    expect(catalogue.get(' FIRSTNAME ').name).to.equal('FirstName');
    expect(catalogue.get('shoe_size').name).to.equal('Shoe_Size');
    expect(parse('isvip', 'TRUE')).to.equal(true);
  });

  it('refuses unknown names with LEAD_ATTRIBUTE_BAD', () => {
    expectBad('NoSuchField', 'x');
    expectBad('Email Address', 'x');
    expectBad('', 'x');
    expect(new FieldCatalogue().find('Shoe_Size')).to.equal(undefined);
  });

  it('adds custom fields from config, without a column, and refuses one clashing with a standard field', () => {
    const shoe = catalogue.get('Shoe_Size');
    expect(shoe).to.include({
      name: 'Shoe_Size',
      displayName: 'Shoe_Size',
      type: 'integer',
      column: null,
    });
    expect(catalogue.all().map((f) => f.name)).to.include.members(['Notes', 'LastSeen']);
    expect(() => new FieldCatalogue([{ name: 'firstname', type: 'string' }])).to.throw(/clashes/);
  });

  it('parses strings, keeping inner and surrounding text, within 255 characters', () => {
    expect(parse('FirstName', ' Ann ')).to.equal(' Ann ');
    expect(parse('Nickname', 'x'.repeat(255))).to.have.length(255);
    expectBad('Nickname', 'x'.repeat(256));
    expectBad('FirstName', 'x'.repeat(256));
    expectBad('FirstName', 'a\u0000b');
  });

  it('refuses what no XML answer can carry: U+FFFE, U+FFFF, a surrogate standing alone', () => {
    for (const name of ['FirstName', 'Nickname', 'Notes', 'UnsubscribedReason'])
      for (const c of ['\uffff', '\ufffe', '\ud800', '\udfff', 'x\ud83d'])
        expectBad(name, `Ann ${c} Smith`);
    // A pair is one character, as is the last one XML allows below U+FFFE.
    expect(parse('FirstName', 'Ann \ud83d\ude00 \ufffd')).to.equal('Ann \ud83d\ude00 \ufffd');
    expect(parse('Notes', '\ue000\ufdd0')).to.equal('\ue000\ufdd0');
  });

  it('parses text up to 4000 characters', () => {
    expect(parse('Notes', 'y'.repeat(4000))).to.have.length(4000);
    expect(parse('Address', 'y'.repeat(300))).to.have.length(300);
    expectBad('Notes', 'y'.repeat(4001));
    expectBad('Address', 'y'.repeat(4001));
    expect(parse('Notes', 'line one\nline two\ttab')).to.equal('line one\nline two\ttab');
  });

  it('treats empty text as clearing the field, null as null', () => {
    expect(parse('FirstName', '')).to.equal(null);
    expect(parse('LeadScore', '  ')).to.equal(null);
    expect(parse('FirstName', null)).to.equal(null);
  });

  it('parses integers within 32-bit bounds', () => {
    expect(parse('LeadScore', ' 42 ')).to.equal(42);
    expect(parse('LeadScore', '-7')).to.equal(-7);
    expect(parse('LeadScore', '+7')).to.equal(7);
    expect(parse('Shoe_Size', '2147483647')).to.equal(2147483647);
    expect(parse('Shoe_Size', '-2147483648')).to.equal(-2147483648);
    for (const bad of [
      '2147483648',
      '-2147483649',
      '12345678901',
      '1.5',
      '1e3',
      'abc',
      '0x10',
      '4 2',
    ]) {
      expectBad('LeadScore', bad);
    }
  });

  it('parses floats and refuses what is not a finite number', () => {
    expect(parse('AnnualRevenue', '1234.5')).to.equal(1234.5);
    expect(parse('AnnualRevenue', '-.5')).to.equal(-0.5);
    expect(parse('Score2', '1e3')).to.equal(1000);
    for (const bad of ['1e400', 'NaN', 'Infinity', 'abc', '1,5', '1.2.3', '.'])
      expectBad('AnnualRevenue', bad);
  });

  it('parses booleans as true/false/1/0 and refuses empty or anything else', () => {
    expect(parse('Unsubscribed', 'true')).to.equal(true);
    expect(parse('Unsubscribed', 'False')).to.equal(false);
    expect(parse('DoNotCall', '1')).to.equal(true);
    expect(parse('IsVip', ' 0 ')).to.equal(false);
    for (const bad of ['', ' ', 'yes', 'no', 'maybe', '2']) expectBad('Unsubscribed', bad);
  });

  it('parses dates as YYYY-MM-DD and refuses impossible ones', () => {
    expect(parse('DateOfBirth', '1990-07-14')).to.equal('1990-07-14');
    expect(parse('Renewal', '2024-02-29')).to.equal('2024-02-29');
    for (const bad of [
      '1990-7-14',
      '14/07/1990',
      '1990-13-01',
      '1990-00-10',
      '2024-02-30',
      '2023-02-29',
      '2024-04-31',
      'x',
    ]) {
      expectBad('DateOfBirth', bad);
    }
  });

  it('parses date-times with a zone into UTC ISO form and refuses impossible ones', () => {
    expect(parse('LastSeen', '2026-01-02T03:04:05Z')).to.equal('2026-01-02T03:04:05.000Z');
    expect(parse('LastSeen', '2026-01-02T03:04:05.5+02:00')).to.equal('2026-01-02T01:04:05.500Z');
    expect(parse('LastSeen', '2026-01-02T03:04-01:00')).to.equal('2026-01-02T04:04:00.000Z');
    for (const bad of [
      '2026-01-02',
      '2026-01-02T03:04:05',
      '2026-13-02T03:04:05Z',
      '2026-02-30T10:00:00Z',
      'now',
    ]) {
      expectBad('LastSeen', bad);
    }
  });

  it('formats values as the activity log writes them', () => {
    expect(FieldCatalogue.format(true)).to.equal('true');
    expect(FieldCatalogue.format(false)).to.equal('false');
    expect(FieldCatalogue.format(12)).to.equal('12');
    expect(FieldCatalogue.format(null)).to.equal(null);
  });
});
