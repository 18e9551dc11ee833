import { parseDateTime, XSD_DATE_TIME } from '../formats/calendar-dates.js';
import { AppError, ErrorCode } from '../errors.js';
import { base64Text, isBase64Type } from './base64-values.js';

/** What node-soap hands a handler: nested plain objects, arrays and (thanks to our deserializers) raw text. */
export type Raw = unknown;
export type RawObject = Record<string, Raw>;

export function isObject(v: Raw): v is RawObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function object(v: Raw): RawObject | undefined {
  return isObject(v) ? v : undefined;
}

/** Whether `v` is an element holding text that is not blank (with attributes or without). */
function holdsText(v: Raw): boolean {
  const held = isObject(v) ? v.$value : v;
  return typeof held === 'string' && held.trim() !== '';
}

const textForMembers = (name: string) =>
  new AppError(ErrorCode.BAD_PARAMETER, `${name} must hold elements, not text`);

/**
 * The members of an element whose type holds elements, or undefined when it is absent, nil or
 * empty. Given twice, or holding text instead of its members, it is 20110: read as holding
 * nothing, `<leadKey>jo@example.com</leadKey>` was "20101 leadKey is required" (it was given),
 * and an activityFilter or an includeAttributes holding text was no filter at all.
 */
export function elementsOf(v: Raw, name: string): RawObject | undefined {
  once(v, name);
  if (holdsText(v)) throw textForMembers(name);
  return object(v);
}

export function requireObject(
  v: Raw,
  name: string,
  code: ErrorCode = ErrorCode.PARAMETER_REQUIRED,
): RawObject {
  if (holdsText(v)) throw textForMembers(name);
  if (!isObject(v))
    throw new AppError(code, `${name} ${Array.isArray(v) ? 'must be given once' : 'is required'}`);
  return v;
}

/**
 * A member of a parsed element by its schema name, matched case-insensitively as the vendor's
 * parser did (a Ruby client sends foreignSysPersonId for ForeignSysPersonId). The exact name
 * wins when both spellings are present.
 */
export function member(o: RawObject | undefined, name: string): Raw {
  if (!o) return undefined;
  if (Object.hasOwn(o, name)) return o[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(o)) if (k !== 'attributes' && k.toLowerCase() === lower) return o[k];
  return undefined;
}

/** A type's member names as declared, and by their lower case. */
export interface DeclaredNames {
  names: ReadonlySet<string>;
  byLower: ReadonlyMap<string, string>;
}

export function declaredNames(names: readonly string[]): DeclaredNames {
  return { names: new Set(names), byLower: new Map(names.map((n) => [n.toLowerCase(), n])) };
}

/**
 * `o` with its members named as the schema spells them (a hand-written `LeadKey` becomes
 * `leadKey`, as the envelope guard let it through): `o` itself when they all are. A member also
 * present as spelt wins over its other spelling.
 */
export function withDeclaredNames(o: RawObject, declared: DeclaredNames): RawObject {
  let renamed: RawObject | undefined;
  for (const key of Object.keys(o)) {
    if (declared.names.has(key) || key === 'attributes') continue;
    const name = declared.byLower.get(key.toLowerCase());
    if (name === undefined) continue;
    renamed ??= { ...o };
    if (!Object.hasOwn(renamed, name)) renamed[name] = renamed[key];
    delete renamed[key];
  }
  return renamed ?? o;
}

/**
 * Whether every name of `o` (but its attributes) is one of `names` as spelt, names that no two
 * differ only in case: then member(o, n) for each n of `names` is `o`'s own n or nothing, and
 * memberAs finds it without lower-casing the object's names for each one missing.
 */
export function spelledAs(o: RawObject, names: ReadonlySet<string>): boolean {
  for (const k in o) if (k !== 'attributes' && !(Object.hasOwn(o, k) && names.has(k))) return false;
  return true;
}

/** member(o, name), where `spelled` is spelledAs(o, names) for names that hold `name`. */
export function memberAs(o: RawObject, name: string, spelled: boolean): Raw {
  if (!spelled) return member(o, name);
  return Object.hasOwn(o, name) ? o[name] : undefined;
}

/**
 * An element the schema allows once: node-soap reads a repeated one as a list, which object()
 * would take for none (a filter dropped without a word). Refused instead.
 */
export function once(v: Raw, name: string): Raw {
  if (Array.isArray(v)) throw new AppError(ErrorCode.BAD_PARAMETER, `${name} must be given once`);
  return v;
}

/** Text of an element, or undefined when it is absent or nil. */
export function text(v: Raw, name: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  // Given twice: said so, not "must be text".
  if (Array.isArray(v)) once(v, name);
  // An element with children where text was expected: treat as empty rather than guessing.
  if (isObject(v) && Object.keys(v).every((k) => k === 'attributes')) return '';
  const typed = typedText(v, name);
  if (typed !== undefined) return typed;
  throw new AppError(ErrorCode.BAD_PARAMETER, `${name} must be text`);
}

const localOf = (name: string) => name.slice(name.indexOf(':') + 1);

/**
 * The text of a value whose attributes are all harmless (see harmlessAttribute): node-soap gives
 * it as { attributes, $value }. Any other attribute is refused naming it.
 */
function typedText(v: Raw, name: string): string | undefined {
  if (!isObject(v) || !Object.hasOwn(v, '$value')) return undefined;
  const attributes = object(v.attributes);
  if (!attributes || Object.keys(v).length !== 2) return undefined;
  let base64 = false;
  for (const [attribute, value] of Object.entries(attributes)) {
    if (!harmlessAttribute(attribute, value))
      throw new AppError(
        ErrorCode.BAD_PARAMETER,
        `${name} must be text: its attribute ${attribute.slice(0, 64)} is not read`,
      );
    // xsi:type is prefixed: a type attribute in no namespace says nothing of the value.
    if (attribute.includes(':') && localOf(attribute) === 'type' && isBase64Type(value))
      base64 = true;
  }
  const value = v.$value;
  if (typeof value === 'string' && base64) return base64Text(value, name);
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : undefined;
}

/**
 * Attributes that leave a value's meaning alone: xsi:type or xsi:nil="false" (SOAP::Lite, nusoap
 * and the MS SOAP Toolkit write xsi:type on every element), and those of the XML namespace
 * (xml:lang, xml:space), whose prefix XML reserves and no document may bind otherwise.
 */
function harmlessAttribute(attribute: string, value: unknown): boolean {
  if (attribute.startsWith('xml:')) return true;
  const local = attribute.slice(attribute.indexOf(':') + 1);
  return local === 'type' || (local === 'nil' && (value === 'false' || value === '0'));
}

export function requireText(
  v: Raw,
  name: string,
  code: ErrorCode = ErrorCode.PARAMETER_REQUIRED,
): string {
  const t = text(v, name);
  if (t === undefined || t.trim() === '') throw new AppError(code, `${name} is required`);
  return t;
}

/** Unbounded elements arrive as arrays; tolerate a single object too. */
export function list(v: Raw): Raw[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

export function int(v: Raw, name: string): number | undefined {
  const t = text(v, name);
  if (t === undefined) return undefined;
  const s = t.trim();
  if (!/^[+-]?\d{1,10}$/.test(s) || Number(s) > 2147483647 || Number(s) < -2147483648) {
    throw new AppError(ErrorCode.BAD_PARAMETER, `${name} must be a 32-bit integer`);
  }
  return Number(s);
}

export function bool(v: Raw, name: string): boolean | undefined {
  const t = text(v, name);
  if (t === undefined) return undefined;
  // Any case: .NET and PHP stubs write True/False.
  switch (t.trim().toLowerCase()) {
    case 'true':
    case '1':
      return true;
    case 'false':
    case '0':
      return false;
    default:
      throw new AppError(ErrorCode.BAD_PARAMETER, `${name} must be true, false, 1 or 0`);
  }
}

/**
 * xs:dateTime, strictly (a day the calendar has, no year 0000); a value without an offset is
 * read as UTC.
 */
export function dateTime(
  v: Raw,
  name: string,
  code: ErrorCode = ErrorCode.BAD_PARAMETER,
): Date | undefined {
  const t = text(v, name);
  if (t === undefined || t.trim() === '') return undefined;
  const ms = parseDateTime(t.trim(), XSD_DATE_TIME);
  if (ms === undefined)
    throw new AppError(
      code,
      `${name} must be an xs:dateTime (a real day of the years 0001-9999, e.g. 2013-06-09T14:04:54-08:00)`,
    );
  return new Date(ms);
}

/**
 * An upper bound of dates (latestCreatedAt, getLeadActivity's activityCreatedAt): a value in
 * whole seconds stands for the whole of that second, its last millisecond included. The vendor
 * kept seconds, so "at or before 14:04:54" held all of that second; clients keep the dates they
 * read in seconds (PHP's DATE_W3C, gSOAP's time_t, the vendor's Java sample), and read as
 * 14:04:54.000 such a bound left out the activities of that second past its first millisecond.
 */
export function latestDateTime(
  v: Raw,
  name: string,
  code: ErrorCode = ErrorCode.BAD_PARAMETER,
): Date | undefined {
  const d = dateTime(v, name, code);
  // A fraction of zeros is whole seconds too: Axis writes a Calendar back with `.000`, .NET a
  // DateTime with seven digits, the vendor's whole-second date read back from its answer.
  if (d === undefined || /\.\d*[1-9]/.test(text(v, name) ?? '')) return d;
  return new Date(d.getTime() + 999);
}

// toISOString less its Z (dates read are within the years 0001-9999 in UTC, so four digits).
const wholeSeconds = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, '');
const withMillis = (d: Date) => d.toISOString().replace(/Z$/, '');

/**
 * xs:dateTime as the vendor wrote it: whole seconds and a numeric offset (UTC, `+00:00`), the
 * form PHP integrations read with DateTime::createFromFormat(DATE_W3C), which has no place for
 * a fraction. Stored instants keep their milliseconds: a date read back as a lower bound
 * (oldestCreatedAt) starts at the start of its second, one read back as an upper bound at its
 * end (latestDateTime), so a client resuming from it sees that second again and loses nothing.
 */
export function formatDateTime(d: Date): string {
  return `${wholeSeconds(d)}+00:00`;
}

/** A lower bound given by the client, written back: its milliseconds kept when it had some. */
export function formatOldestBound(d: Date): string {
  return `${d.getUTCMilliseconds() === 0 ? wholeSeconds(d) : withMillis(d)}+00:00`;
}

/**
 * A stored instant (a `datetime` attribute, kept as ISO text) as the vendor wrote dates: a
 * numeric offset, whole seconds unless it has milliseconds (PHP's DATE_W3C has no place for a
 * fraction; one the client sent is kept). Text that is no date is written as it is.
 */
export function formatInstant(iso: string): string {
  const at = Date.parse(iso);
  return Number.isNaN(at) ? iso : formatOldestBound(new Date(at));
}

/**
 * An upper bound written back so that it reads back as the same instant: the end of a second
 * (a bound given in whole seconds, latestDateTime) as that second, any other with its
 * milliseconds (`.000` included, which in whole seconds would read back as the second's end).
 */
export function formatLatestBound(d: Date): string {
  return `${d.getUTCMilliseconds() === 999 ? wholeSeconds(d) : withMillis(d)}+00:00`;
}

/** The local name of an xsi:type value, whatever prefix the client chose. */
export function xsiTypeOf(v: Raw): string | undefined {
  const attrs = isObject(v) ? object(v.attributes) : undefined;
  if (!attrs) return undefined;
  for (const [k, val] of Object.entries(attrs)) {
    if (k === 'xsi:type' || k.endsWith(':type') || k === 'type') {
      // A QName: whitespace around it is no part of it (xs:QName collapses it).
      if (typeof val === 'string') {
        const name = val.trim();
        return name.includes(':') ? name.slice(name.indexOf(':') + 1) : name;
      }
      if (isObject(val) && typeof val.type === 'string') return val.type;
    }
  }
  return undefined;
}
