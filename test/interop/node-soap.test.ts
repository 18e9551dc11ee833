import crypto from 'node:crypto';
import { expect } from 'chai';
import * as soap from 'soap';
import { testEngines } from '../support/database.js';
import { validateBodyChild } from '../support/schema.js';
import { startTestService, TEST_USER, type TestService } from '../support/service.js';
import {
  expectWorkedExample,
  type SyncOutcome,
  type UnsubscribeChange,
  type WorkedExampleRun,
} from './worked-example.js';

/**
 * node-soap's own client (soap.createClientAsync on the live WSDL URL) runs the worked example.
 * It signs every call itself, with a -08:00 timestamp, and every raw answer is also checked
 * against the WSDL's schema with xmllint.
 */

const MKTOWS_NS = 'http://www.marketo.com/mktows/';

interface Attr {
  attrName: string;
  attrValue: string;
}
interface LeadRecordJs {
  Id?: number;
  Email?: string;
  leadAttributeList?: { attribute?: Attr | Attr[] };
}
interface SyncStatusJs {
  leadId: number;
  status: string;
}
interface ActivityJs {
  activityType: string;
  activityAttributes?: { attribute?: Attr | Attr[] };
}
interface FaultJs {
  faultcode: string;
  faultstring: string;
  detail?: { serviceException?: { code?: string } };
}

const list = <T>(v: T | T[] | undefined | null): T[] =>
  v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];

/** W3C date-time in -08:00, as a client on the US west coast would send it. */
function pacificTimestamp(): string {
  const shifted = new Date(Date.now() - 8 * 3600 * 1000).toISOString();
  return shifted.replace(/\.\d{3}Z$/, '-08:00');
}

function authenticationHeader() {
  const requestTimestamp = pacificTimestamp();
  const requestSignature = crypto
    .createHmac('sha1', TEST_USER.encryptionKey)
    .update(requestTimestamp + TEST_USER.userId)
    .digest('hex');
  return { mktowsUserId: TEST_USER.userId, requestSignature, requestTimestamp };
}

const attribute = (lead: LeadRecordJs, name: string): string | null =>
  list(lead.leadAttributeList?.attribute).find((a) => a.attrName === name)?.attrValue ?? null;

const unsubscribedAttr = (value: string) => ({
  attribute: [{ attrName: 'Unsubscribed', attrType: 'boolean', attrValue: value }],
});

class NodeSoapWorkedExample {
  schemaChecked = 0;

  constructor(private readonly client: soap.Client) {}

  /** One call with a freshly signed header; the raw answer must validate against the schema. */
  async call<T>(operation: string, args: object, workspace?: string): Promise<T> {
    this.client.clearSoapHeaders();
    this.client.addSoapHeader(
      { AuthenticationHeader: authenticationHeader() },
      '',
      'tns',
      MKTOWS_NS,
    );
    if (workspace) {
      this.client.addSoapHeader(
        { MktowsContextHeader: { targetWorkspace: workspace } },
        '',
        'tns',
        MKTOWS_NS,
      );
    }
    const method = this.client[`${operation}Async`] as (a: object) => Promise<[T, string]>;
    const [result, rawResponse] = await method.call(this.client, args);
    validateBodyChild(rawResponse);
    this.schemaChecked++;
    return result;
  }

  async syncLead(leadRecord: object, workspace?: string): Promise<SyncOutcome> {
    const { result } = await this.call<{ result: { leadId: number; syncStatus: SyncStatusJs } }>(
      'syncLead',
      { leadRecord, returnLead: false },
      workspace,
    );
    expect(result.syncStatus.leadId).to.equal(result.leadId);
    return { leadId: result.syncStatus.leadId, status: result.syncStatus.status };
  }

  async lead(id: number): Promise<LeadRecordJs> {
    const { result } = await this.call<{
      result: { count: number; leadRecordList: { leadRecord: LeadRecordJs | LeadRecordJs[] } };
    }>('getLead', { leadKey: { keyType: 'IDNUM', keyValue: String(id) } });
    const records = list(result.leadRecordList.leadRecord);
    expect(result.count, `getLead IDNUM ${id}`).to.equal(1);
    expect(records).to.have.length(1);
    return records[0]!;
  }

  async unsubscribed(id: number): Promise<string | null> {
    return attribute(await this.lead(id), 'Unsubscribed');
  }

  async unsubscribeChange(id: number): Promise<UnsubscribeChange | null> {
    const { leadActivityList } = await this.call<{
      leadActivityList: { activityRecordList?: { activityRecord?: ActivityJs | ActivityJs[] } };
    }>('getLeadActivity', {
      leadKey: { keyType: 'IDNUM', keyValue: String(id) },
      activityFilter: { includeTypes: { activityType: ['ChangeDataValue'] } },
      batchSize: 100,
    });
    for (const record of list(leadActivityList.activityRecordList?.activityRecord)) {
      const attrs = new Map(
        list(record.activityAttributes?.attribute).map((a) => [a.attrName, a.attrValue]),
      );
      if (attrs.get('Attribute Name') === 'Unsubscribed') {
        return {
          activityType: record.activityType,
          oldValue: attrs.get('Old Value') ?? null,
          newValue: attrs.get('New Value') ?? null,
          reason: attrs.get('Reason') ?? null,
        };
      }
    }
    return null;
  }

  async run(): Promise<WorkedExampleRun> {
    // 1. A in the default partition; B with a foreign id (so Email does not match A) in East.
    const a = await this.syncLead({ Email: 'ann@example.com' });
    const b = await this.syncLead(
      { Email: 'ANN@Example.com ', ForeignSysPersonId: 'interop-node-B' },
      'East',
    );
    const A = a.leadId;
    const B = b.leadId;
    const step1 = {
      a,
      b,
      unsubscribed: { a: await this.unsubscribed(A), b: await this.unsubscribed(B) },
    };

    // 2. Unsubscribe A.
    const step2 = {
      sync: await this.syncLead({ Id: A, leadAttributeList: unsubscribedAttr('true') }),
      unsubscribed: { a: await this.unsubscribed(A), b: await this.unsubscribed(B) },
      change: { a: await this.unsubscribeChange(A), b: await this.unsubscribeChange(B) },
    };

    // 3. Delete A (extension operation); create C with the same address, Unsubscribed=false.
    const deleted = await this.call<{
      result: { count: number; leadIdList?: { leadId?: number | number[] } };
    }>('deleteLead', { leadKey: { keyType: 'IDNUM', keyValue: String(A) } });
    const multi = await this.call<{
      result: { syncStatusList: { syncStatus: SyncStatusJs | SyncStatusJs[] } };
    }>('syncMultipleLeads', {
      leadRecordList: {
        leadRecord: [{ Email: 'ann@example.com', leadAttributeList: unsubscribedAttr('false') }],
      },
      dedupEnabled: false,
    });
    const statuses = list(multi.result.syncStatusList.syncStatus);
    expect(statuses).to.have.length(1);
    const c = { leadId: statuses[0]!.leadId, status: statuses[0]!.status };
    const C = c.leadId;
    const step3 = {
      deleted: {
        count: deleted.result.count,
        leadIds: list(deleted.result.leadIdList?.leadId).map(Number),
      },
      c,
      unsubscribed: { c: await this.unsubscribed(C) },
      change: { c: await this.unsubscribeChange(C) },
    };

    // 4. C to an address never seen, then back.
    const toCarl = await this.syncLead({ Id: C, Email: 'carl@example.com' });
    const atCarl = await this.lead(C);
    const bThen = await this.unsubscribed(B);
    const back = await this.syncLead({ Id: C, Email: 'ann@example.com' });
    const atAnn = await this.lead(C);
    const step4 = {
      toCarl: {
        sync: toCarl,
        c: attribute(atCarl, 'Unsubscribed'),
        cEmail: atCarl.Email ?? null,
        b: bThen,
      },
      back: { sync: back, c: attribute(atAnn, 'Unsubscribed'), cEmail: atAnn.Email ?? null },
    };

    // 5. Re-subscribe B.
    const step5 = {
      sync: await this.syncLead({ Id: B, leadAttributeList: unsubscribedAttr('false') }),
      unsubscribed: { b: await this.unsubscribed(B), c: await this.unsubscribed(C) },
      change: { c: await this.unsubscribeChange(C) },
    };

    // 6. Every lead of the address, however it is spelled.
    const found = await this.call<{
      result: { count: number; leadRecordList: { leadRecord: LeadRecordJs | LeadRecordJs[] } };
    }>('getLead', { leadKey: { keyType: 'EMAIL', keyValue: 'Ann@EXAMPLE.com' } });
    const step6 = {
      count: found.result.count,
      leads: list(found.result.leadRecordList.leadRecord).map((r) => ({
        id: Number(r.Id),
        email: r.Email ?? null,
        unsubscribed: attribute(r, 'Unsubscribed'),
      })),
    };

    // A fault reaches node-soap as a rejected call carrying the parsed Fault.
    let fault: WorkedExampleRun['fault'] | undefined;
    try {
      await this.call('getLead', { leadKey: { keyType: 'EMAIL', keyValue: 'nobody@example.com' } });
    } catch (error) {
      const f = (error as { root?: { Envelope?: { Body?: { Fault?: FaultJs } } } }).root?.Envelope
        ?.Body?.Fault;
      if (!f) throw error;
      fault = {
        faultcode: f.faultcode,
        faultstring: f.faultstring,
        code: f.detail?.serviceException?.code ?? null,
      };
    }
    if (!fault) throw new Error('getLead of an unknown address did not fault');

    return {
      client: 'node-soap',
      step1,
      step2,
      step3,
      step4,
      step5,
      step6,
      fault,
    };
  }
}

for (const engine of testEngines()) {
  describe(`interop: node-soap client runs the worked example (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;

    before(async () => {
      service = await startTestService(engine);
    });
    after(() => service?.stop());

    it('signs its own calls and sees every step of the worked example over HTTP', async () => {
      const client = await soap.createClientAsync(service.wsdlUrl);
      const example = new NodeSoapWorkedExample(client);
      const run = await example.run();
      expectWorkedExample(run);
      // Every non-fault answer it parsed also validated against the WSDL's schema.
      expect(example.schemaChecked).to.be.greaterThan(20);
    });
  });
}
