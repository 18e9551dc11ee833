/**
 * The small form bodies of unsubscribe requests, in the two encodings RFC 8058 allows:
 * application/x-www-form-urlencoded and multipart/form-data. The body is already read and
 * bounded (UNSUBSCRIBE_MAX_BODY_BYTES); parsing is one linear pass, with a cap on fields
 * (UNSUBSCRIBE_MAX_FORM_FIELDS).
 */

/** The cap on fields when none is given (UNSUBSCRIBE_MAX_FORM_FIELDS's default). */
const DEFAULT_MAX_FIELDS = 32;

export type FormFields = Map<string, string>;

export class FormError extends Error {
  override name = 'FormError';
  constructor(
    /** unsupported_media: neither encoding; bad_body: the encoding is broken. */
    readonly reason: 'unsupported_media' | 'bad_body',
    message: string,
  ) {
    super(message);
  }
}

/** The media type and parameters of a Content-Type header, lower-cased names. */
function mediaType(header: string | undefined): { type: string; params: Map<string, string> } {
  const [type = '', ...rest] = (header ?? '').split(';');
  const params = new Map<string, string>();
  for (const part of rest.slice(0, 8)) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
      value = value.slice(1, -1);
    params.set(part.slice(0, eq).trim().toLowerCase(), value);
  }
  return { type: type.trim().toLowerCase(), params };
}

function add(fields: FormFields, maxFields: number, name: string, value: string): void {
  if (fields.size >= maxFields) throw new FormError('bad_body', 'Too many form fields');
  // The first occurrence wins: a later duplicate cannot override what was checked.
  if (!fields.has(name)) fields.set(name, value);
}

/** How the bytes of a urlencoded body's escapes are read: UTF-8 unless its charset says other. */
export type FormCharset = 'utf8' | 'latin1';

/**
 * Charsets of one byte a character whose escapes are read as ISO-8859-1 (windows-1252's extra
 * letters among 0x80-0x9F come out as control characters: no field the service reads holds
 * one). Any other charset is read as UTF-8, as before.
 */
const SINGLE_BYTE_CHARSETS = new Set([
  'iso-8859-1',
  'iso_8859-1',
  'latin1',
  'l1',
  'windows-1252',
  'cp1252',
  'us-ascii',
  'ascii',
]);

const NOT_AN_ESCAPE = /%(?![0-9A-Fa-f]{2})/;

function decodeComponent(raw: string, charset: FormCharset): string {
  const spaced = raw.replace(/\+/g, ' ');
  if (charset === 'latin1') {
    if (NOT_AN_ESCAPE.test(spaced))
      throw new FormError('bad_body', 'Form field is not valid percent-encoding');
    return spaced.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) =>
      String.fromCharCode(parseInt(hex, 16)),
    );
  }
  try {
    return decodeURIComponent(spaced);
  } catch {
    throw new FormError('bad_body', 'Form field is not valid percent-encoding');
  }
}

function parseUrlEncoded(body: Buffer, charset: FormCharset, maxFields: number): FormFields {
  const fields: FormFields = new Map();
  // Trailing line ends are tolerated: some senders end the body with CRLF. Cut by a loop: the
  // regular expression /[\r\n]+$/ tried every line end of a run not at the end, each to the
  // run's end (8 KiB of them cost 40 ms, 256 KiB over half a minute).
  const whole = body.toString('latin1');
  let end = whole.length;
  while (end > 0 && (whole.charCodeAt(end - 1) === 0x0a || whole.charCodeAt(end - 1) === 0x0d))
    end--;
  const text = whole.slice(0, end);
  if (text === '') return fields;
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? '' : pair.slice(eq + 1);
    add(fields, maxFields, decodeComponent(name, charset), decodeComponent(value, charset));
  }
  return fields;
}

// The name parameter as a quoted string or, as MIME parameters allow, a bare token.
const DISPOSITION_NAME = /;\s*name\s*=\s*(?:"([^"]*)"|([^\s;"]+))/i;

function parseMultipart(body: Buffer, boundary: string | undefined, maxFields: number): FormFields {
  if (!boundary || !/^[0-9A-Za-z'()+_,\-./:=? ]{1,70}$/.test(boundary))
    throw new FormError('bad_body', 'multipart/form-data without a valid boundary');
  // latin1 keeps one character per byte, so offsets found in the text are byte offsets.
  let text = body.toString('latin1');
  // A body with bare LF line ends and no CR at all (hand-made senders write them): read as
  // CRLF, or a provider's unsubscribe would be refused for its line ends.
  if (!text.includes('\r')) text = text.replace(/\n/g, '\r\n');
  const delimiter = `--${boundary}`;
  const fields: FormFields = new Map();
  let at = text.indexOf(delimiter);
  if (at < 0) throw new FormError('bad_body', 'multipart body without its boundary');
  for (;;) {
    at += delimiter.length;
    if (text.startsWith('--', at)) return fields; // the closing delimiter
    const next = text.indexOf(`\r\n${delimiter}`, at);
    if (next < 0) throw new FormError('bad_body', 'multipart body is not closed');
    // The rest of the delimiter line (transport padding), then the part.
    const lineEnd = text.indexOf('\r\n', at);
    if (lineEnd < 0 || lineEnd > next) throw new FormError('bad_body', 'multipart part is broken');
    const part = text.slice(lineEnd + 2, next);
    const headerEnd = part.indexOf('\r\n\r\n');
    const headers = headerEnd < 0 ? part : part.slice(0, headerEnd);
    const content = headerEnd < 0 ? '' : part.slice(headerEnd + 4);
    let name: string | null = null;
    for (const line of headers.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      if (line.slice(0, colon).trim().toLowerCase() !== 'content-disposition') continue;
      const match = DISPOSITION_NAME.exec(line.slice(colon + 1));
      if (match) name = (match[1] ?? match[2])!;
    }
    if (name === null) throw new FormError('bad_body', 'multipart part without a field name');
    add(
      fields,
      maxFields,
      Buffer.from(name, 'latin1').toString('utf8'),
      Buffer.from(content, 'latin1').toString('utf8'),
    );
    at = next + 2;
  }
}

/**
 * Whether the form carries RFC 8058's pair, `List-Unsubscribe=One-Click`, as senders write it:
 * the name and the value in any case, spaces or line ends around either (a multipart value
 * ending in a line end, a padded urlencoded one). Whoever holds the link may post the exact
 * pair anyway, so reading it loosely grants nothing, while refusing it lost an unsubscribe the
 * mailbox provider had already reported done.
 */
export function isOneClickForm(fields: FormFields): boolean {
  const exact = fields.get('List-Unsubscribe');
  if (exact === 'One-Click') return true;
  for (const [name, value] of fields) {
    if (name.trim().toLowerCase() === 'list-unsubscribe')
      return value.trim().toLowerCase() === 'one-click';
  }
  return false;
}

/** A Content-Type header read once: which of the two encodings, and the multipart boundary. */
export interface FormMediaType {
  type: 'application/x-www-form-urlencoded' | 'multipart/form-data';
  boundary: string | undefined;
  /** A urlencoded body's: its escapes read as ISO-8859-1 when its charset names one byte a character. */
  charset: FormCharset;
}

/**
 * The form encoding a Content-Type header names; throws FormError for another media type.
 * A POST without a Content-Type, or with text/plain, is read as urlencoded: some senders post
 * the RFC 8058 body so, and refusing them would lose an unsubscribe the mailbox provider has
 * already reported done. Whoever holds the link may unsubscribe with it anyway, so this
 * grants nothing more; the body must still be exactly the one-click field.
 */
export function formMediaType(contentType: string | undefined): FormMediaType {
  const { type, params } = mediaType(contentType);
  // A sender posting with charset=ISO-8859-1 escapes any other field's letters as single bytes
  // (`Zo%EB`): read as UTF-8, the whole body was refused, and the one-click with it.
  const named = params.get('charset')?.toLowerCase();
  const charset: FormCharset = named && SINGLE_BYTE_CHARSETS.has(named) ? 'latin1' : 'utf8';
  if (type === 'application/x-www-form-urlencoded' || type === 'multipart/form-data')
    return { type, boundary: params.get('boundary'), charset };
  if (type === '' || type === 'text/plain')
    return { type: 'application/x-www-form-urlencoded', boundary: undefined, charset };
  throw new FormError(
    'unsupported_media',
    'Send application/x-www-form-urlencoded or multipart/form-data',
  );
}

/** The fields of a body in an encoding formMediaType accepted; throws FormError if broken. */
export function parseFormAs(
  media: FormMediaType,
  body: Buffer,
  maxFields = DEFAULT_MAX_FIELDS,
): FormFields {
  return media.type === 'multipart/form-data'
    ? parseMultipart(body, media.boundary, maxFields)
    : parseUrlEncoded(body, media.charset, maxFields);
}

/** The fields of a form body; throws FormError for another media type or a broken body. */
export function parseForm(contentType: string | undefined, body: Buffer): FormFields {
  return parseFormAs(formMediaType(contentType), body);
}
