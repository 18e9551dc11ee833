import type { Config } from '../config.js';
import { ActivityService } from './activity.service.js';
import { BulkChangeService } from './bulk-change.service.js';
import { SuppressionImportJobs } from './suppression-import-job.js';
import { DurableStatusService } from './durable-status.service.js';
import { FieldCatalogue } from './field-catalogue.js';
import { LeadMergeService } from './lead-merge.service.js';
import type { CheckedWriteListener } from './lead-batch.js';
import { LeadService } from './lead.service.js';
import { LinkUnsubscribeService } from './link-unsubscribe.service.js';
import type { Transactions } from './ports.js';
import { SalesforceSyncService } from './salesforce-sync.service.js';
import { SuppressionService } from './suppression.service.js';

export interface Services {
  catalogue: FieldCatalogue;
  leads: LeadService;
  merges: LeadMergeService;
  durableStatus: DurableStatusService;
  activities: ActivityService;
  salesforce: SalesforceSyncService;
  suppressions: SuppressionService;
  links: LinkUnsubscribeService;
  bulkChanges: BulkChangeService;
  suppressionImports: SuppressionImportJobs;
}

/** The settings the domain services take (the rest of Config is the entry points'). */
export type ServicesConfig = Pick<Config, 'customFields' | 'defaultPartition'> &
  Partial<
    Pick<
      Config,
      'batchConcurrency' | 'protectedReasons' | 'activityScanLimit' | 'salesforceClockMarginSeconds'
    >
  >;

export interface ServicesOptions {
  now?: () => number;
  onPropagation?: (people: number) => void;
  /** How each change planned on a plain read ended (written checked, or under the locks). */
  onCheckedWrite?: CheckedWriteListener;
  /** The console's background jobs: people per batch, and how long a runner's lease lasts. */
  jobs?: { batchSize?: number; leaseMs?: number };
}

/**
 * The domain services over one store (the composition root builds it: src/compose.ts); `now`
 * is injectable so tests can control time.
 */
export function createDomainServices(
  transactions: Transactions,
  config: ServicesConfig,
  options: ServicesOptions = {},
): Services {
  const catalogue = new FieldCatalogue(config.customFields);
  const durableStatus = new DurableStatusService(transactions, {
    onPropagation: options.onPropagation,
    protectedReasons: config.protectedReasons,
    now: options.now,
  });
  const leads = new LeadService(transactions, durableStatus, {
    catalogue,
    defaultPartition: config.defaultPartition,
    now: options.now,
    batchConcurrency: config.batchConcurrency,
    onCheckedWrite: options.onCheckedWrite,
  });
  const merges = new LeadMergeService(transactions, leads, catalogue, options.now, (r) =>
    durableStatus.isProtected(r),
  );
  const activities = new ActivityService(transactions, leads, {
    scanLimit: config.activityScanLimit,
    now: options.now,
  });
  const margin = config.salesforceClockMarginSeconds;
  const salesforce = new SalesforceSyncService(transactions, leads, catalogue, {
    now: options.now,
    ...(margin === undefined ? {} : { clockMarginMs: margin * 1000 }),
  });
  const suppressions = new SuppressionService(transactions, durableStatus, options.now);
  const links = new LinkUnsubscribeService(transactions, durableStatus, options.now);
  const bulkChanges = new BulkChangeService(transactions, leads, catalogue, {
    now: options.now,
    protectedWords: durableStatus.protectedWords,
    ...options.jobs,
  });
  const suppressionImports = new SuppressionImportJobs(
    transactions,
    suppressions,
    options.now,
    options.jobs?.leaseMs,
  );
  return {
    catalogue,
    leads,
    merges,
    durableStatus,
    activities,
    salesforce,
    suppressions,
    links,
    bulkChanges,
    suppressionImports,
  };
}
