/**
 * The vendor's mktows 2.x contract as its stubs see it, written down as data from the vendor's
 * public SOAP documentation and the stubs its own client SDK ships: every operation with its
 * request and response element, the schema types of both, and its SOAPAction. Kept by hand, on
 * purpose: a test compares our WSDL against it, so a change on our side cannot move both.
 */
export interface VendorOperation {
  operation: string;
  input: string;
  inputType: string;
  output: string;
  outputType: string;
  /** Every operation has the authentication header; syncLead also mktowsContext. */
  headers: string[];
  /** The one member of the Success type: `result`, except getLeadActivity's leadActivityList. */
  resultMember: string;
}

/**
 * The vendor's operations this service serves (the others answer 20019: served-operations.ts),
 * named here by hand, not read from src/: a test of what is served must not move with the
 * code it tests.
 */
export const SERVED_NAMES: readonly string[] = [
  'getLead',
  'syncLead',
  'syncMultipleLeads',
  'getMultipleLeads',
  'getLeadActivity',
  'getLeadChanges',
  'mergeLeads',
  'describeMObject',
  'listMObjects',
];

const NAMES = [
  ...SERVED_NAMES,
  'getMObjects',
  'syncMObjects',
  'deleteMObjects',
  'getCustomObjects',
  'syncCustomObjects',
  'deleteCustomObjects',
  'listOperation',
  'importToList',
  'getImportToListStatus',
  'getCampaignsForSource',
  'requestCampaign',
  'scheduleCampaign',
  'getChannels',
  'getTags',
];

const upper = (s: string) => s[0]!.toUpperCase() + s.slice(1);

export const VENDOR_OPERATIONS: readonly VendorOperation[] = NAMES.map((operation) => ({
  operation,
  input: `params${upper(operation)}`,
  inputType: `Params${upper(operation)}`,
  output: `success${upper(operation)}`,
  outputType: `Success${upper(operation)}`,
  headers: operation === 'syncLead' ? ['authentication', 'mktowsContext'] : ['authentication'],
  resultMember: operation === 'getLeadActivity' ? 'leadActivityList' : 'result',
}));

/**
 * The SOAP header elements and the vendor's names of their types: clients that build the header
 * from its type find it by that name (suds' factory.create('AuthenticationHeaderInfo'), zeep's
 * get_type), and wsimport without customisation names the class after it.
 */
export const VENDOR_HEADER_TYPES: Readonly<Record<string, string>> = {
  AuthenticationHeader: 'AuthenticationHeaderInfo',
  MktowsContextHeader: 'MktowsContextHeaderInfo',
};

/** What each Success type holds, and the members of each Params type, in sequence order. */
export const VENDOR_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  ParamsGetLead: ['leadKey'],
  ParamsSyncLead: ['leadRecord', 'returnLead', 'marketoCookie'],
  ParamsSyncMultipleLeads: ['leadRecordList', 'dedupEnabled'],
  ParamsGetMultipleLeads: [
    'leadSelector',
    'lastUpdatedAt',
    'streamPosition',
    'batchSize',
    'includeAttributes',
  ],
  ParamsGetLeadActivity: ['leadKey', 'activityFilter', 'startPosition', 'batchSize'],
  ParamsGetLeadChanges: [
    'startPosition',
    'activityFilter',
    'activityNameFilter',
    'batchSize',
    'leadSelector',
  ],
  ParamsMergeLeads: ['winningLeadKeyList', 'losingLeadKeyLists', 'mergeInSales'],
  ParamsDescribeMObject: ['objectName'],
  ParamsListMObjects: [],
  ParamsGetMObjects: [
    'type',
    'id',
    'externalKey',
    'mObjCriteriaList',
    'mObjAssociationList',
    'includeDetails',
    'streamPosition',
  ],
  ParamsSyncMObjects: ['mObjectList', 'operation'],
  ParamsDeleteMObjects: ['mObjectList'],
  ParamsGetCustomObjects: [
    'objTypeName',
    'streamPosition',
    'batchSize',
    'customObjKeyList',
    'includeAttributes',
  ],
  ParamsSyncCustomObjects: ['objTypeName', 'customObjList', 'operation'],
  ParamsDeleteCustomObjects: ['objTypeName', 'customObjKeyLists'],
  ParamsListOperation: ['listOperation', 'listKey', 'listMemberList', 'strict'],
  ParamsImportToList: [
    'programName',
    'importFileHeader',
    'importFileRows',
    'importListMode',
    'listName',
    'clearList',
    'campaignName',
  ],
  ParamsGetImportToListStatus: ['programName', 'listName'],
  ParamsGetCampaignsForSource: ['source', 'name', 'exactName'],
  ParamsRequestCampaign: [
    'source',
    'campaignId',
    'leadList',
    'programName',
    'campaignName',
    'programTokenList',
  ],
  ParamsScheduleCampaign: ['programName', 'campaignName', 'campaignRunAt', 'programTokenList'],
  ParamsGetChannels: ['tag'],
  ParamsGetTags: ['tagList'],
  ResultMergeLeads: ['mergeStatus'],
  MergeStatus: ['winningLeadId', 'losingLeadIdList', 'status', 'error'],
  ResultDescribeMObject: ['metadata'],
  MObjectMetadata: ['name', 'description', 'isCustom', 'isVirtual', 'fieldList', 'updatedAt'],
  MObjFieldMetadata: [
    'name',
    'description',
    'displayName',
    'sourceObject',
    'dataType',
    'size',
    'isReadonly',
    'isUpdateBlocked',
    'isName',
    'isPrimaryKey',
    'isCustom',
    'isDynamic',
    'dynamicFieldRef',
    'updatedAt',
  ],
  ResultListMObjects: ['objects'],
  ResultGetMObjects: ['returnCount', 'hasMore', 'newStreamPosition', 'mObjectList'],
  ResultSyncMObjects: ['mObjStatusList'],
  ResultDeleteMObjects: ['mObjStatusList'],
  ResultGetCustomObjects: [
    'objTypeName',
    'returnCount',
    'remainingCount',
    'newStreamPosition',
    'customObjList',
  ],
  ResultSyncCustomObjects: ['syncCustomObjStatusList'],
  ResultDeleteCustomObjects: ['deleteCustomObjStatusList'],
  ResultListOperation: ['success', 'statusList'],
  ResultImportToList: ['importStatus'],
  ResultGetImportToListStatus: [
    'status',
    'startedTime',
    'endedTime',
    'estimatedTime',
    'estimatedRows',
    'rowsImported',
    'rowsFailed',
    'rowsIgnored',
    'importSummary',
  ],
  ResultGetCampaignsForSource: ['returnCount', 'campaignRecordList'],
  ResultRequestCampaign: ['success'],
  ResultScheduleCampaign: ['success'],
  ResultGetChannels: ['tags'],
  ResultGetTags: ['tagList'],
  LeadRecord: ['Id', 'Email', 'ForeignSysPersonId', 'ForeignSysType', 'leadAttributeList'],
  MktowsContextHeaderInfo: ['targetWorkspace'],
  // The three LeadSelector types of getMultipleLeads and getLeadChanges (2_2 on).
  LeadKeySelector: ['keyType', 'keyValues'],
  LastUpdateAtSelector: ['latestUpdatedAt', 'oldestUpdatedAt'],
  StaticListSelector: ['staticListName', 'staticListId'],
  LeadKey: ['keyType', 'keyValue'],
  Attribute: ['attrName', 'attrType', 'attrValue'],
};
