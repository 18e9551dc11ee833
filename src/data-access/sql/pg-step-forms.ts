import type { StatementForm } from './fixed-sql.js';

/**
 * The statements of a group of steps (pg-step-group.ts) that repeat, prepared once for the
 * group's transaction. A syncLead's checked write is a few statements whose text differs from
 * one person to the next only by the values written in (statement.ts, inlined): the check, the
 * master status with its propagation (one large statement with several CTEs), the person's
 * update with its activity. In a group of N such steps each of them was parsed, analysed and
 * planned N times by the server, most of its CPU per unsubscribe. Here a form (a statement's
 * text with `?` where its values go, fixed-sql.ts's StatementForm) that comes at least twice in
 * the group is prepared once, at the head of the group's first message, and each of its
 * statements is sent as EXECUTE with its values' literals (the same literals the plain text
 * holds, given to the same placeholders, so it reads and writes the same rows):
 *
 *   BEGIN; SET LOCAL plan_cache_mode = force_generic_plan; PREPARE du_step_1 AS …;
 *   SAVEPOINT step; EXECUTE du_step_1('a@x', …); RELEASE step; …; DEALLOCATE du_step_1; COMMIT;
 *
 * The generic plan is made once and serves each EXECUTE (the forms read people by address,
 * lead id and change_seq through their indexes, whatever the values); the setting ends with the
 * transaction. Nothing prepared outlives the transaction, as PgBouncer's transaction mode needs
 * (the next transaction of the connection may run on another server, and this server may serve
 * another client): each name is deallocated in the message that commits (DEALLOCATE is not
 * transactional, so it holds whatever COMMIT then does), and a group that fails sends
 * `ROLLBACK; DEALLOCATE ALL;`, one message, so that both run on the server that prepared.
 *
 * A server that refuses a PREPARE (a 42-class error: a parameter whose type it cannot infer, a
 * name left by a failure; 0A: a pooler that does not take it) fails the group's first message
 * before any step ran: it is rolled back, everything prepared deallocated, and the group is
 * sent again with its statements as they are. The form refused is not prepared again by this
 * client (after MOST_REFUSED refusals, none is).
 */

/** What this module reads of a step: its statements, and the form of each where known. */
export interface FormedStep {
  readonly statements: readonly string[];
  readonly forms?: ReadonlyArray<StatementForm | undefined>;
}

/** The statements of a group's message for its forms. */
export interface GroupForms {
  /** After the transaction's head, in the group's first message: the setting, the PREPAREs. */
  readonly prepare: readonly string[];
  /** The template each PREPARE of `prepare` prepares (after the setting), in its order. */
  readonly templates: readonly string[];
  /** Before COMMIT: the prepared names deallocated ('' when none). */
  readonly deallocate: string;
  /** A step's statements as they are sent, each ending with one semicolon. */
  statementsOf(step: FormedStep): string[];
}

/** The setting the prepared statements run under: one plan, made once. */
export const GENERIC_PLANS = 'SET LOCAL plan_cache_mode = force_generic_plan;';

/** The prefix of the names prepared (the same in each transaction: none outlives it). */
export const FORM_NAME_PREFIX = 'du_step_';

/** Refusals after which a client prepares nothing more (a server or pooler without PREPARE). */
export const MOST_REFUSED = 8;

/** A statement as it is sent: it ends with one semicolon. */
export const statementText = (statement: string) => `${statement.replace(/;\s*$/, '')};`;

/** Nothing prepared: each statement as it is. */
export const PLAIN: GroupForms = {
  prepare: [],
  templates: [],
  deallocate: '',
  statementsOf: (step) => step.statements.map(statementText),
};

/** `template`'s `?` placeholders numbered, as PREPARE takes them ($1, $2, …). */
function numbered(template: string): string {
  const parts = template.replace(/;\s*$/, '').split('?');
  let text = parts[0]!;
  for (let i = 1; i < parts.length; i++) text += `$${i}${parts[i]!}`;
  return text;
}

/** The forms of `steps` that repeat (not those `refused`), each named for one transaction. */
export function groupForms(steps: readonly FormedStep[], refused: ReadonlySet<string>): GroupForms {
  const counts = new Map<string, number>();
  for (const step of steps)
    for (const form of step.forms ?? [])
      if (form && !refused.has(form.template))
        counts.set(form.template, (counts.get(form.template) ?? 0) + 1);
  const names = new Map<string, string>();
  for (const [template, count] of counts)
    if (count > 1) names.set(template, `${FORM_NAME_PREFIX}${names.size + 1}`);
  if (names.size === 0) return PLAIN;
  const templates = [...names.keys()];
  return {
    prepare: [
      GENERIC_PLANS,
      ...templates.map((t) => `PREPARE ${names.get(t)!} AS ${numbered(t)};`),
    ],
    templates,
    deallocate: [...names.values()].map((name) => `DEALLOCATE ${name};`).join(' '),
    statementsOf: (step) =>
      step.statements.map((text, i) => {
        const form = step.forms?.[i];
        const name = form && names.get(form.template);
        if (!name) return statementText(text);
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

/** Per client: the forms it prepares, and those the server refused. */
export class StepForms {
  private readonly refused = new Set<string>();
  private off = false;

  /** The forms of a group of `steps`. */
  of(steps: readonly FormedStep[]): GroupForms {
    return this.off ? PLAIN : groupForms(steps, this.refused);
  }

  /**
   * `error` stopped the group's first message at statement `at` of `forms.prepare`: true when
   * it is a refusal of what was prepared, the group then sent again plainly (see above).
   */
  refusedAt(forms: GroupForms, at: number, error: unknown): boolean {
    if (at < 0 || at >= forms.prepare.length || !isRefusal(error)) return false;
    // A name left on the server (a failure that could not deallocate): DEALLOCATE ALL clears it.
    if ((error as { code: string }).code === '42P05') return true;
    const template = forms.templates[at - (forms.prepare.length - forms.templates.length)];
    if (template === undefined) this.off = true;
    else this.refused.add(template);
    if (this.refused.size >= MOST_REFUSED) this.off = true;
    return true;
  }
}
