import { AppError, ErrorCode } from '../errors.js';
import type { ActivityQuery } from './records.js';

/** The vendor's ActivityType enum (57 values) and the display name records carry. */
export const ACTIVITY_TYPES: Readonly<Record<string, string>> = {
  VisitWebpage: 'Visit Webpage',
  FillOutForm: 'Fill Out Form',
  ClickLink: 'Click Link',
  SendEmail: 'Send Email',
  EmailDelivered: 'Email Delivered',
  EmailBounced: 'Email Bounced',
  UnsubscribeEmail: 'Unsubscribe Email',
  OpenEmail: 'Open Email',
  ClickEmail: 'Click Email',
  NewLead: 'New Lead',
  ChangeDataValue: 'Change Data Value',
  LeadAssigned: 'Lead Assigned',
  NewSFDCOpprtnty: 'New SFDC Opportunity',
  Wait: 'Wait',
  RunSubflow: 'Run Subflow',
  RemoveFromFlow: 'Remove from Flow',
  PushLeadToSales: 'Push Lead to Sales',
  CreateTask: 'Create Task',
  ConvertLead: 'Convert Lead',
  ChangeScore: 'Change Score',
  ChangeOwner: 'Change Owner',
  AddToList: 'Add to List',
  RemoveFromList: 'Remove from List',
  SFDCActivity: 'SFDC Activity',
  EmailBouncedSoft: 'Email Bounced Soft',
  PushLeadUpdatesToSales: 'Push Lead Updates to Sales',
  DeleteLeadFromSales: 'Delete Lead from Sales',
  SFDCActivityUpdated: 'SFDC Activity Updated',
  SFDCMergeLeads: 'SFDC Merge Leads',
  MergeLeads: 'Merge Leads',
  ResolveConflicts: 'Resolve Conflicts',
  AssocWithOpprtntyInSales: 'Add to Opportunity',
  DissocFromOpprtntyInSales: 'Remove from Opportunity',
  UpdateOpprtntyInSales: 'Update Opportunity',
  DeleteLead: 'Delete Lead',
  SendAlert: 'Send Alert',
  SendSalesEmail: 'Send Sales Email',
  OpenSalesEmail: 'Open Sales Email',
  ClickSalesEmail: 'Click Sales Email',
  AddtoSFDCCampaign: 'Add to SFDC Campaign',
  RemoveFromSFDCCampaign: 'Remove from SFDC Campaign',
  ChangeStatusInSFDCCampaign: 'Change Status in SFDC Campaign',
  ReceiveSalesEmail: 'Receive Sales Email',
  InterestingMoment: 'Interesting Moment',
  RequestCampaign: 'Request Campaign',
  SalesEmailBounced: 'Sales Email Bounced',
  ChangeLeadPartition: 'Change Lead Partition',
  ChangeRevenueStage: 'Change Revenue Stage',
  ChangeRevenueStageManually: 'Change Revenue Stage Manually',
  ComputeDataValue: 'Compute Data Value',
  ChangeStatusInProgression: 'Change Status in Progression',
  ChangeFieldInProgram: 'Change Field in Program',
  EnrichWithDatacom: 'Enrich with Data.com',
  ChangeSegment: 'Change Segment',
  ResolveRuleset: 'Resolve Ruleset',
  SmartCampaignTest: 'Smart Campaign Test',
  SmartCampaignTestTrigger: 'Smart Campaign Test Trigger',
};

/**
 * The enum by its names: a Map, not the object's properties, so that a name every object
 * inherits (toString, constructor, __proto__) is no type.
 */
const BY_ENUM_NAME: ReadonlyMap<string, string> = new Map(Object.entries(ACTIVITY_TYPES));

const BY_DISPLAY_NAME = new Map(
  Object.values(ACTIVITY_TYPES).map((name) => [name.toLowerCase(), name]),
);

/**
 * A display name as activityNameFilter gives it ("visit webpage"), spelt as records carry it;
 * undefined for a name the vendor never had: no activity is of it (every one this service
 * writes is of a vendor's type), so it matches nothing, as the vendor's would.
 */
export function activityNameOf(name: string): string | undefined {
  return BY_DISPLAY_NAME.get(name.trim().toLowerCase());
}

/** Filter values are the enum names; an unknown one is ACTIVITY_KEY_BAD, a known one may match nothing. */
export function activityDisplayName(enumName: string): string {
  const name = BY_ENUM_NAME.get(enumName.trim());
  if (name === undefined)
    throw new AppError(
      ErrorCode.ACTIVITY_KEY_BAD,
      `Unknown activity type ${enumName.slice(0, 64)}`,
    );
  return name;
}

/** The type of nearly every activity, and of every follower of a propagation. */
const DATA_VALUE = 'Change Data Value';

/** Whether a query filters on types and on nothing else (no dates). */
export const typesOnly = (q: ActivityQuery) =>
  (q.includeTypes !== undefined || (q.excludeTypes !== undefined && q.excludeTypes.length > 0)) &&
  q.oldestCreatedAt === undefined &&
  q.latestCreatedAt === undefined;

/** Whether a type filter admits Change Data Value. */
export const admitsDataValues = (q: ActivityQuery) =>
  q.includeTypes !== undefined
    ? q.includeTypes.includes(DATA_VALUE)
    : !(q.excludeTypes ?? []).includes(DATA_VALUE);
