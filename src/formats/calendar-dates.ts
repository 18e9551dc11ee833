/**
 * Dates and date-times read strictly, for every place that takes one from outside (SOAP values,
 * lead attributes, suppression lists): a day the calendar has, in the years XML Schema's
 * xs:date and xs:dateTime allow (0001–9999: there is no year zero), hours to 23 (or 24:00:00,
 * the end of a day), an offset within ±14:00, the instant in those years in UTC too.
 * Date.parse alone accepts year 0000, rolls 2024-02-30 over to March 1 and reads many other
 * shapes besides.
 */

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:([T ])(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?(?:(Z)|([+-])(\d{2})(:?)(\d{2}))?$/;

export interface DateForm {
  /** A date without a time is read (as midnight UTC, or at its offset). */
  dateOnly: boolean;
  /**
   * The shapes spreadsheets and databases write too: a space for the T (`2026-01-31 10:00`),
   * an offset without its colon (`+0100`).
   */
  loose: boolean;
  /** `10:00` without seconds. */
  secondsOptional: boolean;
  /** Without Z or an offset the value is refused (true) or read as UTC (false). */
  zoneRequired: boolean;
}

/** xs:dateTime: a T, seconds, the offset optional (read as UTC). */
export const XSD_DATE_TIME: DateForm = {
  dateOnly: false,
  loose: false,
  secondsOptional: false,
  zoneRequired: false,
};

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS[month - 1]!;
}

/** Whether `ymd` (YYYY-MM-DD) is a day of the calendar in years 0001–9999. */
export function isRealDay(ymd: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(ymd);
  return m !== null && realDay(Number(m[1]), Number(m[2]), Number(m[3]));
}

function realDay(year: number, month: number, day: number): boolean {
  return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysIn(year, month);
}

/** The instant `text` names in `form` (milliseconds since 1970, UTC), or undefined when it is none. */
export function parseDateTime(text: string, form: DateForm): number | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, separator, h, mi, s, fraction, z, sign, oh, colon, om] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (!realDay(year, month, day)) return undefined;
  if (separator === undefined ? !form.dateOnly : separator === ' ' && !form.loose) return undefined;
  if (separator !== undefined && s === undefined && !form.secondsOptional) return undefined;
  if (z === undefined && sign === undefined && form.zoneRequired) return undefined;
  if (colon === '' && !form.loose) return undefined;
  const hours = Number(h ?? 0);
  const minutes = Number(mi ?? 0);
  const seconds = Number(s ?? 0);
  // Its first three digits, cut: read as one number, seventeen nines are 1.0 (the next second).
  const millis = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0'));
  const endOfDay = hours === 24 && minutes === 0 && seconds === 0 && millis === 0;
  if ((hours > 23 && !endOfDay) || minutes > 59 || seconds > 59) return undefined;
  let offset = 0;
  if (sign !== undefined) {
    const offsetHours = Number(oh);
    const offsetMinutes = Number(om);
    if (offsetMinutes > 59 || offsetHours * 60 + offsetMinutes > 14 * 60) return undefined;
    offset = (sign === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  }
  // setUTCFullYear, not Date.UTC: Date.UTC reads the years 0–99 as 1900–1999.
  const at = new Date(0);
  at.setUTCFullYear(year, month - 1, day);
  at.setUTCHours(hours, minutes, seconds, millis);
  const instant = at.getTime() - offset;
  // Its offset (or 24:00) must not move it out of those years in UTC, where it is kept and
  // written back: `+010000-01-01T11:59:59+00:00` or year 0000 is no xs:dateTime.
  return instant >= FIRST_INSTANT && instant < PAST_LAST_INSTANT ? instant : undefined;
}

/** 0001-01-01T00:00:00Z and 10000-01-01T00:00:00Z. */
const FIRST_INSTANT = -62135596800000;
const PAST_LAST_INSTANT = 253402300800000;
