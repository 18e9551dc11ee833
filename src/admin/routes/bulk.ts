import type { Request } from 'express';
import type { PeopleCriteria } from '../../domain/records.js';
import type { DataValueChange } from '../../domain/bulk-change.service.js';
import { parsePastedList } from '../../domain/pasted-list.js';
import { aboutField, AppError, ErrorCode } from '../../errors.js';
import type { LiftPoint } from '../../domain/opt-outs-since.js';
import {
  dayBound,
  field,
  filterText,
  MAX_ID,
  position,
  send,
  sessionOf,
  statusChoice,
} from '../form.js';
import {
  BULK_FORM_FIELDS,
  bulkJobPage,
  bulkPage,
  bulkPreviewPage,
  PREVIEW_AT_FIELD,
  PREVIEW_HISTORY_FIELD,
  type BulkForm,
} from '../pages/bulk.js';
import type { RouteContext } from './context.js';

function readForm(source: unknown): BulkForm {
  const form = Object.fromEntries(
    BULK_FORM_FIELDS.map((k) => [k, field(source, k)]),
  ) as unknown as BulkForm;
  if (form.field === '') form.field = 'Unsubscribed';
  return form;
}

/** The people the form selects; a refusal names the field it is about (its name in the form). */
function criteriaOf(form: BulkForm, pastedMax: number | undefined): PeopleCriteria {
  if (form.list.trim() !== '')
    return aboutField('list', () => parsePastedList(form.list, pastedMax));
  const day = (name: keyof BulkForm, label: string, end: boolean) =>
    aboutField(name, () => dayBound(form[name], label, end));
  const criteria: PeopleCriteria = {
    emailContains: aboutField('email', () => filterText(form.email, 'Address contains')),
    partition: aboutField('partition', () => filterText(form.partition, 'Partition')),
    createdFrom: day('createdFrom', 'Created from', false),
    createdTo: day('createdTo', 'Created to', true),
    updatedFrom: day('updatedFrom', 'Updated from', false),
    updatedTo: day('updatedTo', 'Updated to', true),
    unsubscribed: aboutField('status', () => statusChoice(form.status)),
  };
  if (Object.values(criteria).every((v) => v === undefined))
    throw new AppError(
      ErrorCode.BAD_PARAMETER,
      'Narrow the search (at least one field) or paste a list: a change to everyone is not offered here',
    );
  return criteria;
}

/**
 * The preview's point a confirmation carries back (its hidden fields): a part absent, as on a
 * page of an earlier version, is left to the confirmation; a malformed one is refused, and so
 * is one sent twice (the form parser makes it a list, which `field` reads as absent: it would
 * start at the confirmation, past what the preview showed). The domain takes neither part
 * later than the confirmation's own point (liftStartNow).
 */
function previewedOf(body: unknown): Partial<LiftPoint> {
  const part = (name: string, max: number) => {
    const sent = (body as Record<string, unknown> | undefined)?.[name];
    if (sent === undefined || sent === '') return undefined;
    const text = field(body, name);
    if (!/^\d{1,16}$/.test(text) || Number(text) > max)
      throw new AppError(
        ErrorCode.BAD_PARAMETER,
        'The preview this confirms could not be read back: nothing was started. Preview again.',
        { field: name },
      );
    return Number(text);
  };
  const historyId = part(PREVIEW_HISTORY_FIELD, MAX_ID);
  const at = part(PREVIEW_AT_FIELD, Number.MAX_SAFE_INTEGER);
  return { ...(historyId === undefined ? {} : { historyId }), ...(at === undefined ? {} : { at }) };
}

const changeOf = (form: BulkForm): DataValueChange => ({
  field: form.field,
  value: form.value.trim(),
  reason: form.reason.trim() || undefined,
});

/** Change Data Value on one or more people: form, preview, start, and the run's progress. */
export function bulkRoutes(context: RouteContext): void {
  const { router, services, logger, wakeJobs, pastedMax } = context;
  const bulk = services.bulkChanges;
  const labelOf = (name: string): string =>
    bulk.fields().find((f) => f.name === name)?.label ?? name;
  const formPage = async (req: Request, form: BulkForm, error?: AppError) =>
    bulkPage({
      session: sessionOf(req.res!),
      form,
      fields: bulk.fields(),
      jobs: await bulk.recent(10),
      error,
    });

  /**
   * What `run` answers, or undefined once the form is shown again with its refusal (400): a
   * database that is down is no fault of the form's, and is answered as anywhere else.
   */
  const orFormRefused = async <T>(
    req: Request,
    form: BulkForm,
    run: () => Promise<T>,
  ): Promise<T | undefined> => {
    try {
      return await run();
    } catch (error) {
      if (!(error instanceof AppError) || error.code === ErrorCode.DATABASE_UNAVAILABLE)
        throw error;
      send(req.res!, 400, await formPage(req, form, error));
      return undefined;
    }
  };

  router.get('/bulk', async (req, res) => {
    send(res, 200, await formPage(req, readForm(req.query)));
  });

  router.post('/bulk/preview', async (req, res) => {
    const form = readForm(req.body);
    const preview = await orFormRefused(req, form, () =>
      bulk.preview(criteriaOf(form, pastedMax), changeOf(form)),
    );
    if (preview === undefined) return;
    const fieldLabel = labelOf(form.field);
    send(res, 200, bulkPreviewPage({ session: sessionOf(res), form, fieldLabel, preview }));
  });

  router.post('/bulk/start', async (req, res) => {
    const form = readForm(req.body);
    const session = sessionOf(res);
    const id = await orFormRefused(req, form, () =>
      bulk.start(criteriaOf(form, pastedMax), changeOf(form), session.operator, {
        confirmProtected: field(req.body, 'liftProtected') === 'yes',
        previewed: previewedOf(req.body),
      }),
    );
    if (id === undefined) return;
    logger.info({ operator: session.operator, jobId: id }, 'operator started a Change Data Value');
    wakeJobs();
    res.redirect(303, `/admin/bulk/jobs/${id}`);
  });

  router.get('/bulk/jobs/:id', async (req, res) => {
    const id = position(String(req.params.id), 'job');
    if (id === null) throw new AppError(ErrorCode.BAD_PARAMETER, 'No such job');
    const status = await bulk.status(id);
    const refresh = field(req.query, 'refresh') !== 'off';
    const fieldLabel = labelOf(status.change.field);
    send(res, 200, bulkJobPage({ session: sessionOf(res), status, fieldLabel, refresh }));
  });
}
