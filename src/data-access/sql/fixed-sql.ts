/**
 * The text of a fixed statement (statement.ts runs them): written once per engine, at load,
 * and on PostgreSQL with its values written in where they can be, so that a statement without
 * bindings can share a message with BEGIN, the address locks and queued reads (pg-client.ts).
 * statement.ts passes fixedSql on, so that a module that writes and runs a statement imports
 * both from there.
 */

/**
 * SQL text for `engine`: written once with `?` placeholders, as knex writes them; PostgreSQL
 * numbers them itself (the knex client does so as it sends). Kept as one value per engine so
 * a statement's text is built once, at load.
 */
export interface FixedSql {
  readonly sqlite: string;
  readonly postgres: string;
}

export function fixedSql(sqlite: string, postgres: string = sqlite): FixedSql {
  return { sqlite, postgres };
}

/**
 * A value written into PostgreSQL SQL text. A statement without bindings is sent in one message
 * with the transaction's deferred BEGIN (pg-client.ts), saving a round trip.
 *
 * knex numbers every `?` of a statement's text as a placeholder, inside quotes too, so a string
 * holding `?` or a backslash is written as an escape string (E'…') with `?` as `\x3f`: the text
 * then holds no `?` that knex could take. PostgreSQL cannot store NUL in text: refused here,
 * as the server refuses it as a binding.
 */
export function pgLiteral(value: string | number | bigint | boolean | null): string {
  if (value === null) return 'NULL';
  if (typeof value === 'string') {
    if (value.includes('\0')) throw new RangeError('text cannot hold a NUL character');
    if (!/[?\\]/.test(value)) return `'${value.replace(/'/g, "''")}'`;
    return ` E'${value.replace(/[?'\\]/g, (c) => (c === '?' ? '\\x3f' : c + c))}'`;
  }
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  // In parentheses: `x - ?` must not become the comment `x --1`.
  if (typeof value === 'bigint' || Number.isSafeInteger(value))
    return value < 0 ? `(${String(value)})` : String(value);
  throw new RangeError(`not an integer: ${value}`);
}

/**
 * A statement as inlined() writes it, kept apart: its text with `?` placeholders and the SQL
 * literal of each value. Statements of one form that repeat within a transaction can be
 * prepared once and executed with their literals (pg-step-forms.ts).
 */
export interface StatementForm {
  readonly template: string;
  readonly literals: readonly string[];
}

/** inlined()'s text, with the literals it wrote in (in the order of the placeholders). */
export interface InlinedSql extends FixedSql {
  readonly literals: readonly string[];
}

/**
 * The PostgreSQL text of each fixed statement split at its placeholders, once: the texts are
 * written once (at load, or once per set of columns: lead.repository.ts), and splitting the
 * largest of them (a few hundred to some thousand characters) at every statement was a fair
 * share of what an unsubscribe allocates. Weakly held: a text made for one call goes with it.
 */
const placeholders = new WeakMap<FixedSql, readonly string[]>();
function placeholdersOf(sql: FixedSql): readonly string[] {
  let parts = placeholders.get(sql);
  if (parts === undefined) placeholders.set(sql, (parts = sql.postgres.split('?')));
  return parts;
}

/**
 * PostgreSQL: `sql`'s form with `bindings` as literals (pgLiteral), or null when one of them
 * cannot be written in (a NUL, a fraction, an object): the caller then sends the bindings. Its
 * text (formText) is written only where it is sent as text: a grouped step's statement kept
 * prepared goes as `EXECUTE name(literals)` (pg-step-forms.ts), and writing the whole text of
 * each of its statements anyway was a fair share of what an unsubscribe allocated.
 */
export function formOf(sql: FixedSql, bindings: readonly unknown[]): StatementForm | null {
  const parts = placeholdersOf(sql);
  if (parts.length !== bindings.length + 1) throw new Error('placeholders and bindings differ');
  const literals = new Array<string>(bindings.length);
  for (let i = 0; i < bindings.length; i++) {
    const v = bindings[i];
    const t = typeof v;
    if (v !== null && t !== 'string' && t !== 'number' && t !== 'bigint' && t !== 'boolean')
      return null;
    if (t === 'number' && !Number.isSafeInteger(v)) return null;
    if (t === 'string' && (v as string).includes('\0')) return null;
    literals[i] = pgLiteral(v as string | number | bigint | boolean | null);
  }
  return { template: sql.postgres, literals };
}

/**
 * The template's split at its placeholders, for formText: templates are the fixed statements'
 * texts, so a bounded set; past MOST_SPLIT (a caller making templates per call) it starts over.
 */
const templateParts = new Map<string, readonly string[]>();
const MOST_SPLIT = 1024;

/** A form's text: its literals written into its template, in the order of its placeholders. */
export function formText(form: StatementForm): string {
  let parts = templateParts.get(form.template);
  if (parts === undefined) {
    if (templateParts.size >= MOST_SPLIT) templateParts.clear();
    templateParts.set(form.template, (parts = form.template.split('?')));
  }
  return written(parts, form.literals);
}

/** `parts` (a template split at its placeholders) with `literals` written between them. */
function written(parts: readonly string[], literals: readonly string[]): string {
  if (parts.length !== literals.length + 1) throw new Error('placeholders and literals differ');
  let text = parts[0]!;
  for (let i = 0; i < literals.length; i++) text += literals[i]! + parts[i + 1]!;
  return text;
}

/**
 * PostgreSQL: `sql`'s text with `bindings` written in (pgLiteral), or null when one of them
 * cannot be (a NUL, a fraction, an object): the caller then sends the bindings. A statement
 * without bindings is sent by the simple protocol, cheaper on both sides for a short
 * statement, and can share a message with BEGIN and the address locks (pg-client.ts). Every
 * `?` of a fixed text is a placeholder (knex reads them so too).
 */
export function inlined(sql: FixedSql, bindings: readonly unknown[]): InlinedSql | null {
  const form = formOf(sql, bindings);
  if (form === null) return null;
  return {
    sqlite: sql.sqlite,
    postgres: written(placeholdersOf(sql), form.literals),
    literals: form.literals,
  };
}

/**
 * PostgreSQL: `values` as the text of an array value (`{…}`), a binding for `column = ANY(?)`
 * that inlined() can write into the statement, where an array binding cannot be: the
 * statement can then share a message with BEGIN, the address locks and queued reads.
 */
export function pgArrayText(values: ReadonlyArray<string | number>): string {
  const items = values.map((v) =>
    typeof v === 'number' ? String(v) : `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`,
  );
  return `{${items.join(',')}}`;
}
