import type { Router } from 'express';
import type { Services } from '../../domain/services.js';
import type { Logger } from '../../logger.js';

/** What every group of pages needs. */
export interface RouteContext {
  router: Router;
  services: Services;
  logger: Logger;
  /** Activities per page of a person's log; rows per page of the other lists. */
  activityPageSize: number;
  listPageSize: number;
  wakeJobs: () => void;
  /** Largest CSV the import form accepts. */
  uploadMaxBytes: number;
  /** Longest line of an imported CSV (IMPORT_MAX_ROW_CHARS); the CSV reader's default if absent. */
  csvMaxRowChars: number | undefined;
  /** Entries a pasted list may hold (CONSOLE_PASTED_MAX); the parser's default if absent. */
  pastedMax: number | undefined;
}
