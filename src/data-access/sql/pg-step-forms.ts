import { createHash } from 'node:crypto';
import { formText, pgLiteral, type StatementForm } from './fixed-sql.js';

/**
 * The statements of a group of steps (pg-step-group.ts), prepared on the server connection and
 * kept there from one transaction to the next. A syncLead's checked write is a few statements
 * whose text differs from one person to the next only by the values written in (statement.ts,
 * formOf): the check, the master status with its propagation (one large statement with
 * several CTEs), the person's update with its activity. Sent as text, each of them is parsed,
 * analysed and planned by the server at every step, most of its CPU per unsubscribe. Here a
 * form (a statement's text with `?` where its values go, fixed-sql.ts's StatementForm) that
 * this client has seen before, or that comes twice in the group, is named by a hash of its
 * text and its statements are sent as EXECUTE with their values' literals (the same literals
 * the plain text holds, given to the same placeholders, so it reads and writes the same rows).
 * The group's first message makes sure the names exist on the server connection it runs on:
 *
 *   BEGIN; SET LOCAL plan_cache_mode = force_generic_plan;
 *   SELECT du_ensure_prepared(ARRAY['du_f_…', …], ARRAY['INSERT …', …], 64);
 *   EXECUTE du_f_…;
 *   SAVEPOINT step; EXECUTE du_f_…('a@x', …); RELEASE step; …; COMMIT;
 *
 * The EXECUTE after the ensuring is the activity floor lock every write transaction takes
 * before any statement that takes an id (activity-horizon.ts): prepared with the forms, it is
 * planned once per connection instead of at every group (sent as text, as transactionHead has
 * it, when nothing is prepared).
 *
 * du_ensure_prepared (migration 20261203006000) prepares the names the connection does not
 * hold yet, and nothing when it holds them all (one session setting read): the statements are
 * parsed, analysed and planned once per server connection, not once per group. The statements
 * of one message are analysed one after the other, so the EXECUTEs find what the SELECT before
 * them prepared. A transaction-mode pooler (PgBouncer) that runs the next transaction on
 * another server connection gets them prepared there; what stays on a server connection is
 * the service's named statements (`du_f_` and a hash: never another's name, and the same name
 * is the same text whichever build prepared it), at most MOST_KEPT of them, and the session
 * setting `du.prepared`. The generic plan serves each EXECUTE (the forms read people by
 * address, lead id and change_seq through their indexes, whatever the values).
 *
 * A server that refuses a PREPARE (a 42-class error: a parameter whose type it cannot infer; a
 * missing function: a database not migrated) fails the group's first message before any step
 * ran: it is rolled back and sent again with its statements as they are. The form refused is
 * not prepared again by this client (after MOST_REFUSED refusals, or a refusal not of one
 * form, none is). A statement whose prepared form no longer fits (a table altered under it:
 * "cached plan must not change result type", or its name deallocated by someone else) fails the
 * group: it is rolled back, the service's statements deallocated on that connection, and the
 * group sent again plainly; the next group prepares afresh.
 */

/**
 * What this module reads of a step: its statements, and the form of each where known. A
 * statement given by its form alone (its text undefined) has its text written only where it
 * is sent as text (statementAt): a form kept prepared goes as EXECUTE with its literals.
 */
export interface FormedStep {
  readonly statements: ReadonlyArray<string | undefined>;
  readonly forms?: ReadonlyArray<StatementForm | undefined>;
}

/** Statement `i` of `step` as text: its own, or its form's literals written in (formText). */
export function statementAt(step: FormedStep, i: number): string {
  const text = step.statements[i];
  if (text !== undefined) return text;
  const form = step.forms?.[i];
  if (form === undefined) throw new Error(`statement ${i} has neither a text nor a form`);
  return formText(form);
}

/** The statements of a group's message for its forms. */
export interface GroupForms {
  /** After the transaction's head, in the group's first message: the setting, the ensuring. */
  readonly prepare: readonly string[];
  /** The template of each name du_ensure_prepared is given, in its order. */
  readonly templates: readonly string[];
  /** A step's statements as they are sent, each ending with one semicolon. */
  statementsOf(step: FormedStep): string[];
  /** Whether `prepare` ends with the group's first statement (groupForms' `first`), run. */
  readonly runsFirst: boolean;
}

/** The setting the prepared statements run under: one plan, made once. */
export const GENERIC_PLANS = 'SET LOCAL plan_cache_mode = force_generic_plan;';

/** The prefix of the names prepared (a hash of the text follows). */
export const FORM_NAME_PREFIX = 'du_f_';

/** Most of the service's statements kept on one server connection (then all dropped). */
export const MOST_KEPT = 64;

/** Refusals after which a client prepares nothing more (a server or pooler without PREPARE). */
export const MOST_REFUSED = 8;

/** Most forms a client counts (past it, it starts counting again). */
const MOST_COUNTED = 4096;

/** After a prepared statement no longer fit: the service's statements dropped, one message. */
export const FORGET = 'ROLLBACK; SELECT du_forget_prepared();';

/** A statement as it is sent: it ends with one semicolon. */
const statementText = (statement: string) => `${statement.replace(/;\s*$/, '')};`;

/** Nothing prepared: each statement as it is. */
export const PLAIN: GroupForms = {
  prepare: [],
  templates: [],
  statementsOf: (step) => step.statements.map((_, i) => statementText(statementAt(step, i))),
  runsFirst: false,
};

/** `template`'s `?` placeholders numbered, as PREPARE takes them ($1, $2, …). */
function numbered(template: string): string {
  const parts = template.replace(/;\s*$/, '').split('?');
  let text = parts[0]!;
  for (let i = 1; i < parts.length; i++) text += `$${i}${parts[i]!}`;
  return text;
}

/** The name of a prepared text: the same text, the same name, in every build. */
export const formName = (text: string) =>
  FORM_NAME_PREFIX + createHash('sha256').update(text).digest('hex').slice(0, 24);

/** Each template's prepared text and name, made once (bounded as the counts are). */
const named = new Map<string, { text: string; name: string }>();
function nameOf(template: string): { text: string; name: string } {
  let found = named.get(template);
  if (found === undefined) {
    if (named.size >= MOST_COUNTED) named.clear();
    const text = numbered(template);
    named.set(template, (found = { text, name: formName(text) }));
  }
  return found;
}

/**
 * The ensuring statements made, by their names: a group's forms are mostly the same few sets
 * (a syncLead's check, status and update), and writing the texts' literals again at every
 * group was some kilobytes a group. A name is a hash of its text, so the names say the texts.
 */
const ensured = new Map<string, string>();
/** Sets of names whose ensuring is kept (each some kilobytes; past it, it starts over). */
const MOST_ENSURINGS = 64;

/** `SELECT du_ensure_prepared(…)` of `names` and their prepared `texts`, in that order. */
function ensuring(names: readonly string[], texts: readonly string[]): string {
  const key = names.join(',');
  let statement = ensured.get(key);
  if (statement === undefined) {
    if (ensured.size >= MOST_ENSURINGS) ensured.clear();
    const array = (values: readonly string[]) =>
      `ARRAY[${values.map(pgLiteral).join(', ')}]::text[]`;
    statement = `SELECT du_ensure_prepared(${array(names)}, ${array(texts)}, ${MOST_KEPT});`;
    ensured.set(key, statement);
  }
  return statement;
}

/**
 * The forms of `steps` prepared (not those `refused`): those `seen` before (counted by the
 * caller, this group's included) or repeated in the group. `first`: a statement without
 * values that every group runs before its steps (the activity floor lock of a write
 * transaction, activity-horizon.ts), prepared with the forms whenever one is, and executed
 * last in `prepare` (runsFirst): kept, it is planned once per connection, not at each group.
 */
export function groupForms(
  steps: readonly FormedStep[],
  refused: ReadonlySet<string>,
  seen: ReadonlyMap<string, number> = new Map(),
  first?: string,
): GroupForms {
  const counts = new Map<string, number>();
  for (const step of steps)
    for (const form of step.forms ?? [])
      if (form && !refused.has(form.template))
        counts.set(form.template, (counts.get(form.template) ?? 0) + 1);
  const names = new Map<string, string>();
  const texts: string[] = [];
  for (const [template, count] of counts)
    if (Math.max(count, seen.get(template) ?? 0) > 1) {
      const { text, name } = nameOf(template);
      names.set(template, name);
      texts.push(text);
    }
  if (names.size === 0) return PLAIN;
  const opening = first !== undefined && !refused.has(first) ? nameOf(first) : undefined;
  if (opening) texts.push(opening.text);
  const all = [...names.values(), ...(opening ? [opening.name] : [])];
  return {
    prepare: [
      GENERIC_PLANS,
      ensuring(all, texts),
      ...(opening ? [`EXECUTE ${opening.name};`] : []),
    ],
    templates: [...names.keys(), ...(opening ? [first!] : [])],
    runsFirst: opening !== undefined,
    statementsOf: (step) =>
      step.statements.map((_, i) => {
        const form = step.forms?.[i];
        const name = form && names.get(form.template);
        if (!name) return statementText(statementAt(step, i));
        return form.literals.length > 0
          ? `EXECUTE ${name}(${form.literals.join(', ')});`
          : `EXECUTE ${name};`;
      }),
  };
}

/** A failure that says the server does not take what was prepared (see above). */
function isRefusal(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('42') || code.startsWith('0A'));
}

/** A prepared statement that no longer fits: its result type changed, or it is gone. */
export function isStale(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '0A000' || code === '26000';
}

/** Per client: the forms it has seen, and those the server refused. */
export class StepForms {
  private readonly refused = new Set<string>();
  private readonly seen = new Map<string, number>();
  private off = false;

  /** The forms of a group of `steps`, and its `first` statement (groupForms). */
  of(steps: readonly FormedStep[], first?: string): GroupForms {
    if (this.off) return PLAIN;
    if (this.seen.size > MOST_COUNTED) this.seen.clear();
    for (const step of steps)
      for (const form of step.forms ?? [])
        if (form) this.seen.set(form.template, (this.seen.get(form.template) ?? 0) + 1);
    return groupForms(steps, this.refused, this.seen, first);
  }

  /**
   * The forms repeated within `steps` alone, none counted (a message of plain reads, outside
   * any transaction: pg-rows.ts). Its `prepare` is the ensuring alone, without the setting,
   * which only a transaction block takes: the EXECUTEs choose their plan as PostgreSQL does.
   */
  repeatedIn(steps: readonly FormedStep[]): GroupForms {
    if (this.off) return PLAIN;
    const forms = groupForms(steps, this.refused);
    return { ...forms, prepare: forms.prepare.filter((s) => s !== GENERIC_PLANS) };
  }

  /**
   * `error` stopped the group's first message at statement `at` of `forms.prepare`: true when
   * it is a refusal of what was prepared, the group then sent again plainly (see above).
   */
  refusedAt(forms: GroupForms, at: number, error: unknown): boolean {
    // The first statement's EXECUTE, after the ensuring, is not a PREPARE: it fails as stale.
    const ensuring = forms.prepare.length - (forms.runsFirst ? 1 : 0);
    if (at < 0 || at >= ensuring || !isRefusal(error)) return false;
    const detail = (error as { detail?: unknown }).detail;
    const place = typeof detail === 'string' ? /^du_form (\d+)$/.exec(detail) : null;
    const template = place ? forms.templates[Number(place[1]) - 1] : undefined;
    if (template === undefined) this.off = true;
    else this.refused.add(template);
    if (this.refused.size >= MOST_REFUSED) this.off = true;
    return true;
  }
}
