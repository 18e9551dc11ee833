import { expect } from 'chai';
import { isRealDay, parseDateTime, XSD_DATE_TIME } from '../../src/formats/calendar-dates.js';

describe('calendar dates read strictly', () => {
  it('reads xs:dateTime as the instant it names, without an offset as UTC', () => {
    expect(parseDateTime('2013-06-09T14:04:54-08:00', XSD_DATE_TIME)).to.equal(
      Date.UTC(2013, 5, 9, 22, 4, 54),
    );
    expect(parseDateTime('2013-06-09T14:04:54.5', XSD_DATE_TIME)).to.equal(
      Date.UTC(2013, 5, 9, 14, 4, 54, 500),
    );
    expect(parseDateTime('2024-12-31T24:00:00Z', XSD_DATE_TIME)).to.equal(Date.UTC(2025, 0, 1));
    // The years 1-99 are not 1901-1999 (Date.UTC's reading).
    const early = parseDateTime('0050-03-01T00:00:00Z', XSD_DATE_TIME)!;
    expect(new Date(early).getUTCFullYear()).to.equal(50);
  });

  it('refuses year 0000, days the calendar lacks, hours, minutes and offsets out of range', () => {
    for (const bad of [
      '0000-01-01T00:00:00Z',
      '2023-02-29T00:00:00Z',
      '1900-02-29T00:00:00Z',
      '2024-06-31T00:00:00Z',
      '2024-13-01T00:00:00Z',
      '2024-01-01T25:00:00Z',
      '2024-01-01T24:00:01Z',
      '2024-01-01T00:60:00Z',
      '2024-01-01T00:00:60Z',
      '2024-01-01T00:00:00+14:01',
      '2024-01-01T00:00:00+0100',
      '2024-01-01 00:00:00Z',
      '2024-01-01T00:00Z',
      '2024-01-01',
      '-0001-01-01T00:00:00Z',
      '10000-01-01T00:00:00Z',
      // An offset that moves the instant out of those years (UTC 10000-01-01, 0000-12-31).
      '9999-12-31T23:59:59-12:00',
      '9999-12-31T24:00:00Z',
      '0001-01-01T00:00:00+14:00',
    ])
      expect(parseDateTime(bad, XSD_DATE_TIME), bad).to.equal(undefined);
    expect(parseDateTime('2000-02-29T00:00:00Z', XSD_DATE_TIME)).to.equal(Date.UTC(2000, 1, 29));
    expect(parseDateTime('9999-12-31T23:59:59.999+14:00', XSD_DATE_TIME)).to.equal(
      Date.UTC(9999, 11, 31, 9, 59, 59, 999),
    );
    expect(parseDateTime('0001-01-01T00:00:00-14:00', XSD_DATE_TIME)).to.be.a('number');
  });

  it('isRealDay: a day of the years 0001-9999', () => {
    expect(isRealDay('2024-02-29')).to.equal(true);
    expect(isRealDay('0001-01-01')).to.equal(true);
    for (const bad of ['0000-01-01', '2023-02-29', '2024-00-10', '2024-1-01', '2024-01-32'])
      expect(isRealDay(bad), bad).to.equal(false);
  });
});
