import { ChangePaths } from '../../domain/change-paths.js';
import type { FlagResult } from '../../domain/lead-flag.js';
import { parseLeadId } from '../../domain/lead.service.js';
import { statusVersion } from '../../domain/master-status.js';
import { notLiftedText } from '../../domain/salesforce-beneath.js';
import type { LeadView } from '../../domain/lead.types.js';
import type { Services } from '../../domain/services.js';
import { AppError, ErrorCode, isAppError } from '../../errors.js';
import { deadlineOf, field, lookupField, send, sessionOf } from '../form.js';
import { personUrl, STATUS_VERSION_FIELD } from '../layout.js';
import {
  ACTIVITY_FILTERS,
  personConfirmPage,
  personPage,
  type SavedOutcome,
  type Sharing,
} from '../pages/person.js';
import { searchPage } from '../pages/search.js';
import { searchPeople } from '../people-search.js';
import { redirectSaved, savedOutcome } from '../saved-notice.js';
import type { RouteContext } from './context.js';

const SHARING_SHOWN = 20;

async function findPerson(services: Services, id: number): Promise<LeadView> {
  const [lead] = await services.leads.find({ keyType: 'IDNUM', keyValue: String(id) });
  return lead!;
}

/** Everyone holding the person's address (itself included), a first page and the counts. */
async function holders(services: Services, lead: LeadView, limit: number): Promise<Sharing | null> {
  if (!lead.email) return null;
  const page = await services.durableStatus.addressPage(lead.email, {
    historyBefore: null,
    peopleAfter: 0,
    limit,
  });
  return { people: page.people, count: page.peopleCount, partitions: page.partitions };
}

/** Find people, a person's page, and the person's Unsubscribed box (previewed, then saved). */
export function peopleRoutes({ router, services, logger, activityPageSize }: RouteContext): void {
  router.get('/', async (req, res) => {
    const query = lookupField(req.query, 'q');
    const found = query.trim() ? await searchPeople(services, query) : null;
    send(
      res,
      200,
      searchPage({
        session: sessionOf(res),
        query,
        results: found?.people ?? null,
        total: found?.total ?? 0,
        email: found?.email ?? null,
      }),
    );
  });

  router.get('/people/:id', async (req, res) => {
    const id = parseLeadId(String(req.params.id));
    const beforeText = field(req.query, 'before');
    if (beforeText !== '' && !/^\d{1,16}$/.test(beforeText))
      throw new AppError(ErrorCode.BAD_PARAMETER, 'before must be an activity id');
    const before = beforeText === '' ? null : Number(beforeText);
    const type = field(req.query, 'type');
    if (type !== '' && !ACTIVITY_FILTERS.some(([value]) => value === type))
      throw new AppError(ErrorCode.BAD_PARAMETER, 'Unknown activity type');
    const lead = await findPerson(services, id);
    const activities = await services.activities.listForLead(
      { keyType: 'IDNUM', keyValue: String(id) },
      {
        batchSize: activityPageSize,
        ...(type ? { filter: { includeTypes: [type] } } : {}),
        ...(before !== null ? { start: { offset: `ID:${before}` } } : {}),
      },
    );
    const master = lead.email ? (await services.durableStatus.explain(lead.email)).status : null;
    const sharing = lead.email
      ? await services.durableStatus.sharing(lead.email, id, SHARING_SHOWN)
      : null;
    send(
      res,
      200,
      personPage({
        session: sessionOf(res),
        lead,
        master,
        sharing: sharing && sharing.count > 0 ? sharing : null,
        activities,
        before,
        type,
        fieldLabel: (name) => services.catalogue.find(name)?.displayName ?? name,
        saved: savedOutcome<SavedOutcome>(req, [
          'unsubscribed',
          'resubscribed',
          'unchanged',
          'recorded',
        ]),
      }),
    );
  });

  router.post('/people/:id/unsubscribed', async (req, res) => {
    const id = parseLeadId(String(req.params.id));
    // An unticked checkbox is absent from the form: absent means "not unsubscribed".
    const unsubscribed = field(req.body, 'unsubscribed') === 'true';
    const reason = field(req.body, 'reason').trim();
    const session = sessionOf(res);
    // Read together (durableStatus.personWithStatus): two plain reads could disagree, and an
    // opt-out was answered unchanged on a person a re-subscribe had just reached, never written.
    const seen = await services.durableStatus.personWithStatus(id);
    const lead = services.leads.view(seen.lead);
    let master = seen.status;
    // A box ticked already changes nobody, but the opt-out it states (a complaint, say) may
    // still have to be recorded in the master status, as on every other path (without an
    // address, in the person's own reason: no status holds its opt-out).
    const ownReason = lead.attributes.find((a) => a.name === 'UnsubscribedReason')?.value ?? null;
    const acknowledges =
      unsubscribed &&
      services.durableStatus.mustRecordForPerson({ email: lead.email, reason: ownReason }, master, {
        optOut: true,
        reason: reason === '' ? null : reason,
        path: ChangePaths.personDetail(session.operator),
      });
    if (seen.settled && lead.unsubscribed === unsubscribed && !acknowledges) {
      redirectSaved(req, res, `${personUrl(id)}?saved=unchanged`);
      return;
    }
    // The opt-out a re-subscribe lifts: the address's status, or, for a person without an
    // address, its own (its reason keeps it: lead-update.ts).
    const lifted = lead.email
      ? master?.unsubscribed === true
        ? master.reason
        : null
      : lead.unsubscribed
        ? ownReason
        : null;
    const lifting = !unsubscribed && services.durableStatus.isProtected(lifted);
    const liftConfirmed = field(req.body, 'liftProtected') === 'yes';
    const confirmed = field(req.body, 'confirm') === 'yes' && (!lifting || liftConfirmed);
    const confirmPage = async (
      status: number,
      liftsProtected: boolean,
      protectedReason: string | null,
      refused?: string,
    ) =>
      send(
        res,
        status,
        personConfirmPage({
          session,
          lead,
          unsubscribed,
          reason,
          holders: await holders(services, lead, 50),
          protectedReason,
          liftsProtected,
          refused,
          // The suppression this confirmation lifts: posted late or twice, it lifts that one only.
          statusVersion:
            !unsubscribed && lead.email && master?.unsubscribed === true
              ? statusVersion(master)
              : undefined,
        }),
      );
    if (!confirmed) return confirmPage(200, lifting, lifted);
    let done: FlagResult<LeadView>;
    try {
      // The checks above saw the person before this write's transaction: whether anything is
      // left to change is decided again under the person's lock, where a box another path set
      // meanwhile is found set (and its reason kept). Only a lift the operator confirmed may
      // lift a protected reason, which the write checks under the address's lock (a complaint
      // recorded in between is refused there, not lifted).
      // Answered within REQUEST_TIMEOUT_MS: past it, a write not yet committing is not made.
      done = await services.leads.setUnsubscribedReporting(
        id,
        unsubscribed,
        ChangePaths.personDetail(session.operator, liftConfirmed),
        reason === '' ? undefined : reason,
        deadlineOf(res),
        field(req.body, STATUS_VERSION_FIELD) || undefined,
      );
    } catch (error) {
      if (
        liftConfirmed ||
        unsubscribed ||
        !isAppError(error) ||
        error.code !== ErrorCode.LEAD_SYNC_FAILED
      )
        throw error;
      // A protected reason recorded since the page looked: asked for, as it would have been.
      const now = lead.email
        ? (await services.durableStatus.explain(lead.email)).status?.reason
        : (await findPerson(services, id)).attributes.find((a) => a.name === 'UnsubscribedReason')
            ?.value;
      return confirmPage(
        409,
        true,
        now ?? null,
        `A ${now ?? 'protected reason'} was recorded since the page was shown: tick the confirmation to lift it.`,
      );
    }
    if (done.outcome === 'changed_since')
      return confirmPage(
        409,
        lifting,
        lifted,
        'The address was unsubscribed again since this confirmation was shown: nothing was changed. Confirm again if lifting it is still meant.',
      );
    // Not lifted: the address shows Salesforce's opt-out now, offered to lift in its turn.
    if (done.beneath) {
      master = (await services.durableStatus.personWithStatus(id)).status;
      return confirmPage(409, false, null, notLiftedText(done.beneath));
    }
    // What this write did, not what the page saw before it.
    const outcome: SavedOutcome =
      done.outcome !== 'changed' && done.outcome !== 'salesforce_beneath'
        ? done.outcome
        : done.lead.unsubscribed
          ? 'unsubscribed'
          : 'resubscribed';
    logger.info(
      { operator: session.operator, leadId: id, unsubscribed, outcome, liftedProtected: lifting },
      'operator set Unsubscribed',
    );
    redirectSaved(req, res, `${personUrl(id)}?saved=${outcome}`);
  });
}
