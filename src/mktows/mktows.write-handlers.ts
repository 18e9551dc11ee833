import { AppError, ErrorCode } from '../errors.js';
import { ChangePaths } from '../domain/change-paths.js';
import { requireDelete, requireWrite, type Permissions } from '../domain/permissions.js';
import type { LeadInput, LeadKey } from '../domain/lead.types.js';
import type { Services } from '../domain/services.js';
import { namingKey, syncErrorText } from './faults.js';
import type { HandlerLimits, OperationHandler } from './operation-handler.js';
import { fromLeadView, toKeyList, toLeadInput, toLeadKey } from './lead-record.mapper.js';
import {
  elementsOf,
  bool,
  list,
  member,
  requireObject,
  text,
  type RawObject,
} from '../soap-transport/values.js';

/**
 * The partitions a caller is confined to, or undefined when it may touch all: the domain finds
 * no one elsewhere, so that a write answers a person of another partition as it answers no one.
 */
const confinedTo = (p: Permissions) => p.partitions ?? undefined;

// The vendor merged a handful of duplicates per call; far more is a mistake, not a merge.
// MERGE_LEADS_MAX_LOSERS's default, for handlers built without it.
const DEFAULT_MAX_MERGE_LOSERS = 100;
/**
 * A losing key list whose keys are all of one type names one loser per key: two ids (or two
 * addresses) cannot name one lead together, and the vendor's own Ruby (Savon) sample of
 * mergeLeads sends both of its losers so, as two `attribute`s of one `keyList`. Keys of
 * several types stay one list that must name one lead.
 */
function eachLoser(keys: LeadKey[]): LeadKey[][] {
  if (keys.length < 2 || keys.some((k) => k.keyType !== keys[0]!.keyType)) return [keys];
  return keys.map((k) => [k]);
}

const MERGE_FAILURES = new Set<ErrorCode>([
  ErrorCode.LEAD_NOT_FOUND,
  ErrorCode.LEAD_SYNC_FAILED,
  ErrorCode.LEAD_KEY_BAD,
]);

/**
 * syncMultipleLeads' records read as inputs (`valid`), and for each record its error or the id
 * its answer names if the batch fails it (`each`). The records are taken out of the request
 * once read, and the handler lets go of the inputs once the service has prepared them: while
 * the batch runs, neither what the request reader made of the records nor the inputs are held
 * to the answer, data every young-generation collection in between copied and promoted
 * (docs/benchmarks.md, thirty-sixth round). Nothing reads a request's records after this.
 */
function batchInputs(
  args: RawObject,
  maxBatchSize: number,
): { valid: LeadInput[]; each: Array<AppError | number> } {
  const listEl = requireObject(
    args.leadRecordList,
    'leadRecordList',
    ErrorCode.LEAD_DETAIL_REQUIRED,
  );
  // In any case, as the guard took it (spelt LeadRecord, the list was read as empty).
  const records = list(member(listEl, 'leadRecord'));
  if (records.length === 0)
    throw new AppError(ErrorCode.LEAD_DETAIL_REQUIRED, 'leadRecordList is empty');
  if (records.length > maxBatchSize)
    throw new AppError(ErrorCode.BAD_PARAMETER, `At most ${maxBatchSize} lead records per call`);
  const valid: LeadInput[] = [];
  // Each record's error, or the id its answer names if the batch fails it.
  const each: Array<AppError | number> = [];
  for (const raw of records) {
    try {
      // The vendor's syncMultipleLeads: an Email sent beside another key is not stored
      // unless the attribute list names it too. Set on the record's own new input, not a
      // copy of it (one object less for every record of a batch).
      const input = toLeadInput(raw);
      input.emailOnlyAsKey = true;
      valid.push(input);
      each.push(input.id ?? 0);
    } catch (error) {
      each.push(
        error instanceof AppError
          ? error
          : new AppError(ErrorCode.LEAD_SYNC_FAILED, 'Bad lead record'),
      );
    }
  }
  for (const key of Object.keys(listEl)) if (key.toLowerCase() === 'leadrecord') delete listEl[key];
  return { valid, each };
}

/** The operations that write (sync, merge, delete), each refused without its permission. */
export function writeHandlers(services: Services, limits: HandlerLimits) {
  const maxLosers = limits.mergeMaxLosers ?? DEFAULT_MAX_MERGE_LOSERS;
  const { leads, merges } = services;

  return {
    async syncLead(args, ctx) {
      requireWrite(ctx.permissions);
      const cookie = text(args.marketoCookie, 'marketoCookie');
      const input = toLeadInput(args.leadRecord, cookie !== undefined && cookie.trim() !== '');
      // Required by the schema, yet the vendor's server read it absent, empty or nil as false:
      // PHP client classes that never set it send <returnLead/>, and their syncs went through.
      const given = text(args.returnLead, 'returnLead');
      const returnLead = given !== undefined && given.trim() !== '' && bool(given, 'returnLead');
      const r = await leads.sync(input, {
        path: ChangePaths.webService(ctx.userId),
        partition: ctx.partition,
        partitions: confinedTo(ctx.permissions),
        deadline: ctx.deadline,
      });
      return {
        result: {
          leadId: r.leadId,
          syncStatus: { leadId: r.leadId, status: r.status, error: null },
          leadRecord: returnLead ? fromLeadView(r.lead) : null,
        },
      };
    },

    async syncMultipleLeads(args, ctx) {
      requireWrite(ctx.permissions);
      const batch = batchInputs(args, limits.maxBatchSize);
      const dedup = bool(args.dedupEnabled, 'dedupEnabled') ?? true;
      const pending = leads.syncMany(batch.valid, {
        path: ChangePaths.webService(ctx.userId),
        partition: ctx.partition,
        matchByEmail: dedup,
        partitions: confinedTo(ctx.permissions),
        deadline: ctx.deadline,
      });
      // The service made its own changes of them before its first wait: not held here either.
      batch.valid = [];
      const results = await pending;
      let next = 0;
      const syncStatus = batch.each.map((e) => {
        if (e instanceof AppError) return { leadId: 0, status: 'FAILED', error: syncErrorText(e) };
        const r = results[next++]!;
        if (r instanceof AppError) return { leadId: e, status: 'FAILED', error: syncErrorText(r) };
        return { leadId: r.leadId, status: r.status, error: null };
      });
      return { result: { syncStatusList: { syncStatus } } };
    },

    async mergeLeads(args, ctx) {
      // A merge deletes its losers and rewrites its winner: it needs what deleteLead needs.
      requireDelete(ctx.permissions);
      // Read, not acted on: this service keeps no CRM to merge in (Merge Leads logs "Merged in
      // Sales" false). A value that is no boolean is refused as dedupEnabled's is.
      bool(args.mergeInSales, 'mergeInSales');
      const winner = toKeyList(member(args, 'winningLeadKeyList'), 'winningLeadKeyList');
      const lists = list(
        member(elementsOf(member(args, 'losingLeadKeyLists'), 'losingLeadKeyLists'), 'keyList'),
      );
      if (lists.length === 0)
        throw new AppError(ErrorCode.LEAD_KEY_REQUIRED, 'losingLeadKeyLists is empty');
      const tooManyLosers = () =>
        new AppError(ErrorCode.BAD_PARAMETER, `At most ${maxLosers} losing leads`);
      if (lists.length > maxLosers) throw tooManyLosers();
      // A list of keys of one type names a loser per key: as many as a call may merge.
      const sameType = { most: maxLosers, tooMany: tooManyLosers };
      const losers = lists.flatMap((l, i) =>
        eachLoser(toKeyList(l, `losingLeadKeyLists keyList ${i + 1}`, 'keyList', sameType)),
      );
      if (losers.length > maxLosers) throw tooManyLosers();
      try {
        const r = await merges.merge(
          winner,
          losers,
          ChangePaths.webService(ctx.userId),
          confinedTo(ctx.permissions),
          ctx.deadline,
        );
        return {
          result: {
            mergeStatus: {
              winningLeadId: r.winnerId,
              losingLeadIdList: { integerItem: r.loserIds },
              status: 'MERGED',
              error: null,
            },
          },
        };
      } catch (error) {
        // What the vendor reported in the status rather than as a fault: a key that finds no
        // single lead. Everything else (the database away…) is a fault as usual.
        if (!(error instanceof AppError) || !MERGE_FAILURES.has(error.code)) throw error;
        return {
          result: {
            mergeStatus: {
              winningLeadId: null,
              losingLeadIdList: null,
              status: 'FAILED',
              error: syncErrorText(error),
            },
          },
        };
      }
    },

    async deleteLead(args, ctx) {
      requireDelete(ctx.permissions);
      const key = toLeadKey(args.leadKey);
      const ids = await namingKey(
        key,
        leads.delete(
          key,
          ChangePaths.webService(ctx.userId),
          confinedTo(ctx.permissions),
          ctx.deadline,
        ),
      );
      return { result: { count: ids.length, leadIdList: { leadId: ids } } };
    },
  } satisfies Record<string, OperationHandler>;
}
