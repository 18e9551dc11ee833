import { mktowsHandlers } from '../../src/mktows/mktows.handlers.js';
import type { CallContext } from '../../src/mktows/operation-handler.js';
import { fromActivity, fromLeadChange, fromLeadView } from '../../src/mktows/lead-record.mapper.js';
import type { ActivityView } from '../../src/domain/activity.service.js';
import { FULL_ACCESS } from '../../src/domain/permissions.js';
import { STANDARD_FIELDS } from '../../src/domain/field-catalogue.js';
import type { LeadView } from '../../src/domain/lead.types.js';
import type { Harness } from '../support/harness.js';

/**
 * Answers to compare the fast answer writer with node-soap on: built from the mappers around
 * generated leads and activities, and made by the real handlers over a real database.
 */

/** Text with what an answer may carry: escapes, markup look-alikes, controls, astral and lone surrogates. */
const ODD_TEXTS = [
  '',
  ' ',
  'plain',
  `a&b<c>d"e'f`,
  '&amp; already escaped &lt;',
  'tab\there\r\nnew\nline\r',
  ']]>',
  'x]]>y<![CDATA[z',
  '<![CDATA[',
  ']]><![CDATA[',
  '<Id>9</Id>',
  Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join('') + '\u007f',
  'Zoë Ñandú 東京 עברית العربية',
  '😀 astral \u{1F4A9}',
  'lone \ud800 high, lone \udc00 low',
  '\ufffe\uffff\u2028\u2029\u0085',
  'x'.repeat(4000),
  '&'.repeat(10_000),
  'y'.repeat(1_000_000),
];

function lead(id: number, overrides: Partial<LeadView> = {}): LeadView {
  return {
    id,
    email: `p${id}@example.com`,
    foreignSysPersonId: null,
    foreignSysType: null,
    partition: 'Default',
    unsubscribed: false,
    attributes: STANDARD_FIELDS.map((f, i) => ({
      name: f.name,
      type: f.dataType,
      value:
        f.type === 'boolean'
          ? i % 2
            ? 'true'
            : 'false'
          : f.type === 'integer'
            ? String(i * 1000)
            : ODD_TEXTS[(id + i) % ODD_TEXTS.length]!,
    })),
    createdAt: new Date(0),
    updatedAt: new Date(0),
    ...overrides,
  };
}

/** The answers as the handlers shape them, around mapper output from generated leads. */
export function mapperCorpus(): [string, Record<string, unknown>][] {
  const answers: [string, Record<string, unknown>][] = [];
  const leads = [
    lead(1),
    lead(2, { email: null, attributes: [] }),
    lead(3, { foreignSysPersonId: 'SF-1&2', foreignSysType: 'SFDC' }),
    lead(2147483647, { email: '' }),
    ...ODD_TEXTS.map((t, i) =>
      lead(10 + i, {
        email: t,
        foreignSysPersonId: t,
        attributes: [{ name: `Custom${i}`, type: 'text', value: t }],
      }),
    ),
  ];
  for (const l of leads) {
    const record = fromLeadView(l);
    answers.push([
      'successGetLead',
      { result: { count: 1, leadRecordList: { leadRecord: [record] } } },
    ]);
    for (const status of ['CREATED', 'UPDATED'])
      for (const leadRecord of [record, null])
        answers.push([
          'successSyncLead',
          {
            result: { leadId: l.id, syncStatus: { leadId: l.id, status, error: null }, leadRecord },
          },
        ]);
  }
  answers.push([
    'successGetLead',
    {
      result: {
        count: leads.length,
        leadRecordList: { leadRecord: leads.map((l) => fromLeadView(l)) },
      },
    },
  ]);
  const records = leads.map((l) => fromLeadView(l));
  // Empty lists as the handlers write them (an empty element) and as nil, which node-soap writes too.
  for (const leadRecordList of [
    null,
    { leadRecord: [] },
    { leadRecord: records.slice(0, 1) },
    { leadRecord: records },
  ])
    answers.push([
      'successGetMultipleLeads',
      {
        result: {
          returnCount: leadRecordList?.leadRecord.length ?? 0,
          remainingCount: 7,
          newStreamPosition: 'eyJrIjoxfQ',
          leadRecordList,
        },
      },
    ]);
  const activities: ActivityView[] = ODD_TEXTS.map((t, i) => ({
    id: i + 1,
    leadId: 1 + (i % 3),
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
    activityType: i % 2 ? 'ChangeDataValue' : 'NewLead',
    assetName: i % 4 ? t : null,
    attributes:
      i % 5
        ? [
            ['Attribute Name', 'First Name'],
            ['Old Value', t],
            ['New Value', t.slice(0, 10)],
          ]
        : [],
    actor: null,
    causeLeadId: null,
  }));
  for (const page of [[], activities.slice(0, 1), activities]) {
    const position = {
      latestCreatedAt: null,
      oldestCreatedAt: '2026-01-01T00:00:00.000Z',
      activityCreatedAt: page.length ? '2026-01-01T00:00:01.000Z' : null,
      offset: page.length ? `ID:${page.length}` : null,
    };
    answers.push([
      'successGetLeadActivity',
      {
        leadActivityList: {
          returnCount: page.length,
          remainingCount: 0,
          newStartPosition: position,
          activityRecordList: { activityRecord: page.map((a) => fromActivity(a)) },
        },
      },
    ]);
    answers.push([
      'successGetLeadChanges',
      {
        result: {
          returnCount: page.length,
          remainingCount: 3,
          newStartPosition: position,
          leadChangeRecordList: { leadChangeRecord: page.map((a) => fromLeadChange(a)) },
        },
      },
    ]);
  }
  for (const n of [1, 2, 300]) {
    const syncStatus = Array.from({ length: n }, (_, i) =>
      i % 7 === 3
        ? {
            leadId: 0,
            status: 'FAILED',
            error: `20105 ${ODD_TEXTS[i % ODD_TEXTS.length]!.slice(0, 300)}`,
          }
        : { leadId: i + 1, status: i % 2 ? 'UPDATED' : 'CREATED', error: null },
    );
    answers.push(['successSyncMultipleLeads', { result: { syncStatusList: { syncStatus } } }]);
  }
  return answers;
}

const ctx: CallContext = { userId: 'writer_test', permissions: FULL_ACCESS };

/** Answers of the real handlers over a real database: creations, updates, failures, batches. */
export async function serviceCorpus(h: Harness): Promise<[string, Record<string, unknown>][]> {
  const handlers = mktowsHandlers(h.services, { maxBatchSize: 1000, getLeadMaxResults: 100 });
  const answers: [string, Record<string, unknown>][] = [];
  const attributeList = (i: number, text: string) => ({
    attribute: [
      { attrName: 'FirstName', attrValue: text.slice(0, 255) },
      { attrName: 'Company', attrValue: `Co ${i} & <Sons>` },
      { attrName: 'LeadScore', attrValue: String(i) },
      { attrName: 'DoNotCall', attrValue: i % 2 ? 'true' : 'false' },
      { attrName: 'AnnualRevenue', attrValue: '1234.5' },
      { attrName: 'DateOfBirth', attrValue: '1990-02-28' },
      { attrName: 'Address', attrValue: text.slice(0, 4000) },
      { attrName: 'UnsubscribedReason', attrValue: text.slice(0, 4000) },
    ],
  });
  const texts = ODD_TEXTS.filter((t) => t.length <= 4000);
  for (const [i, text] of texts.entries()) {
    let stored = false;
    for (const returnLead of ['true', 'false']) {
      const leadRecord = {
        Email: `w${i}@example.com`,
        ...(i % 3 === 0 ? { ForeignSysPersonId: `F${i}<&>`, ForeignSysType: 'SFDC' } : {}),
        leadAttributeList: attributeList(i, text),
      };
      try {
        answers.push([
          'successSyncLead',
          await handlers.syncLead!({ leadRecord, returnLead }, ctx),
        ]);
        stored = true;
      } catch {
        // A value the service refuses is no answer to write.
      }
    }
    if (stored)
      answers.push([
        'successGetLead',
        await handlers.getLead!(
          { leadKey: { keyType: 'EMAIL', keyValue: `w${i}@example.com` } },
          ctx,
        ),
      ]);
  }
  // Unsubscribe one, then read it: the boolean and the reason come back.
  await handlers.syncLead!(
    {
      leadRecord: {
        Email: 'w0@example.com',
        leadAttributeList: { attribute: [{ attrName: 'Unsubscribed', attrValue: 'true' }] },
      },
      returnLead: 'true',
    },
    ctx,
  ).then((a) => answers.push(['successSyncLead', a]));
  for (const n of [1, 300]) {
    const leadRecord = Array.from({ length: n }, (_, i) =>
      i % 11 === 5
        ? { Id: 'not-a-number' }
        : {
            Email: `b${n}-${i % 150}@example.com`,
            leadAttributeList: attributeList(i, texts[i % texts.length]!),
          },
    );
    answers.push([
      'successSyncMultipleLeads',
      await handlers.syncMultipleLeads!(
        { leadRecordList: { leadRecord }, dedupEnabled: 'true' },
        ctx,
      ),
    ]);
  }
  // The reads over what was written: lead lists by key and by update time, activity pages.
  const emails = texts.map((_, i) => `w${i}@example.com`);
  for (const includeAttributes of [undefined, { stringItem: ['FirstName', 'Address'] }]) {
    answers.push([
      'successGetMultipleLeads',
      await handlers.getMultipleLeads!(
        {
          leadSelector: {
            attributes: { 'xsi:type': 'ns1:LeadKeySelector' },
            keyType: 'EMAIL',
            keyValues: { stringItem: emails },
          },
          batchSize: '50',
          ...(includeAttributes ? { includeAttributes } : {}),
        },
        ctx,
      ),
    ]);
    answers.push([
      'successGetMultipleLeads',
      await handlers.getMultipleLeads!(
        {
          leadSelector: {
            attributes: { 'xsi:type': 'ns1:LastUpdateAtSelector' },
            oldestUpdatedAt: '2000-01-01T00:00:00Z',
          },
          batchSize: '300',
          ...(includeAttributes ? { includeAttributes } : {}),
        },
        ctx,
      ),
    ]);
  }
  answers.push([
    'successGetMultipleLeads',
    await handlers.getMultipleLeads!(
      {
        leadSelector: {
          attributes: { 'xsi:type': 'ns1:LeadKeySelector' },
          keyType: 'EMAIL',
          keyValues: { stringItem: ['nobody@example.com'] },
        },
      },
      ctx,
    ),
  ]);
  for (const email of emails.slice(0, 5))
    answers.push([
      'successGetLeadActivity',
      await handlers.getLeadActivity!(
        { leadKey: { keyType: 'EMAIL', keyValue: email }, batchSize: '100' },
        ctx,
      ),
    ]);
  answers.push([
    'successGetLeadActivity',
    await handlers.getLeadActivity!(
      {
        leadKey: { keyType: 'EMAIL', keyValue: emails[0] },
        activityFilter: { includeTypes: { activityType: ['UnsubscribeEmail'] } },
      },
      ctx,
    ),
  ]);
  let startPosition: Record<string, unknown> = { oldestCreatedAt: '2000-01-01T00:00:00Z' };
  for (let page = 0; page < 4; page++) {
    const answer = await handlers.getLeadChanges!({ startPosition, batchSize: '100' }, ctx);
    answers.push(['successGetLeadChanges', answer]);
    const next = (answer.result as { newStartPosition: { offset: string | null } })
      .newStartPosition;
    startPosition = { offset: next.offset };
  }
  return answers;
}
