import { expect } from 'chai';
import type { Database } from '../../src/data-access/database.js';
import type { LeadView } from '../../src/domain/lead.types.js';
import type { SalesforceNotification } from '../../src/domain/salesforce-sync.service.js';
import type { Services } from '../../src/domain/services.js';
import { id18 } from '../../src/formats/salesforce-id.js';
import type { TestEngine } from '../support/database.js';
import {
  postXml,
  startTestService,
  type RawResponse,
  type TestService,
} from '../support/service.js';

/** The organisation the tests' service accepts, and one it does not. */
export const ORG_ID = id18('00D5g000004aBcD');
export const OTHER_ORG_ID = id18('00D5g000004aBcE');
/** The listener's path secret (SFDC_PATH_SECRET), without which it answers nothing but 404. */
export const PATH_SECRET = 'listener-path-secret_0123456789';
/** The listener's address under a service's base URL. */
export const listenerUrl = (base: string): string =>
  `${base}/soap/salesforce/outbound/${PATH_SECRET}`;

const pad = (n: number) => String(n).padStart(12, '0');
export const leadRecordId = (n: number) => id18(`00Q${pad(n)}`);
export const contactRecordId = (n: number) => id18(`003${pad(n)}`);
/** Notification ids: a retry of a notification repeats its id. */
export const notificationId = (n: number) => id18(`04l${pad(n)}`);

/** Notification `n` of a change of Lead `record`: its `fields`, changed at `changedAt` (ms). */
export const leadNotification = (
  n: number,
  record: number,
  fields: Record<string, string | null>,
  changedAt: number | null = null,
): SalesforceNotification => ({
  notificationId: notificationId(n),
  record: { recordId: leadRecordId(record), objectType: 'Lead', changedAt, fields },
});

export interface SampleNotification {
  id: string;
  type: 'Lead' | 'Contact' | string;
  /** Salesforce field values in sending order; null is sent as xsi:nil. Id is added first. */
  recordId: string;
  fields?: Record<string, string | null>;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An outbound message shaped as Salesforce sends it (namespaces, prefixes, nil SessionId). */
export function notificationsXml(
  notifications: readonly SampleNotification[],
  options: { orgId?: string; actionId?: string } = {},
): string {
  const body = notifications
    .map((n) => {
      const fields = Object.entries(n.fields ?? {})
        .map(([name, value]) =>
          value === null
            ? `<sf:${name} xsi:nil="true"/>`
            : `<sf:${name}>${escapeXml(value)}</sf:${name}>`,
        )
        .join('');
      return (
        `<Notification><Id>${n.id}</Id>` +
        `<sObject xsi:type="sf:${n.type}" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">` +
        `<sf:Id>${n.recordId}</sf:Id>${fields}</sObject></Notification>`
      );
    })
    .join('');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
    'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
    '<soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound">' +
    `<OrganizationId>${options.orgId ?? ORG_ID}</OrganizationId>` +
    `<ActionId>${options.actionId ?? id18('04k5g000000TeSt')}</ActionId>` +
    '<SessionId xsi:nil="true"/>' +
    '<EnterpriseUrl>https://example.my.salesforce.com/services/Soap/c/60.0/00D5g000004aBcD</EnterpriseUrl>' +
    '<PartnerUrl>https://example.my.salesforce.com/services/Soap/u/60.0/00D5g000004aBcD</PartnerUrl>' +
    `${body}</notifications></soapenv:Body></soapenv:Envelope>`
  );
}

export function send(url: string, xml: string): Promise<RawResponse> {
  return postXml(url, xml, { soapAction: '""' });
}

const ACK =
  /<SOAP-ENV:Body><notificationsResponse xmlns="http:\/\/soap\.sforce\.com\/2005\/09\/outbound"><Ack>true<\/Ack><\/notificationsResponse><\/SOAP-ENV:Body>/;

export function expectAck(res: RawResponse): void {
  expect(res.status, res.body).to.equal(200);
  expect(res.body, res.body).to.match(ACK);
}

/** A SOAP 1.1 fault with HTTP 500, the given side and code, and no stack trace. */
export function expectFault(
  res: RawResponse,
  side: 'Client' | 'Server' | 'VersionMismatch',
  code: number,
): void {
  expect(res.status, res.body).to.equal(500);
  expect(res.body).to.contain('xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"');
  expect(res.body).to.contain(`<faultcode>SOAP-ENV:${side}</faultcode>`);
  expect(res.body).to.contain(`<detail><code>${code}</code></detail>`);
  expect(res.body).to.not.contain('Ack');
  expect(res.body).to.not.match(/\bat .*\.(ts|js):\d+/);
}

export async function send1(url: string, n: SampleNotification): Promise<void> {
  expectAck(await send(url, notificationsXml([n])));
}

/** Every row a notification could touch, to show that a refused one changed nothing. */
export async function everything(db: Database): Promise<unknown> {
  const rows = (table: string, order: string) => db.knex(table).select('*').orderBy(order);
  return {
    leads: await rows('leads', 'id'),
    status: await rows('email_status', 'email_key'),
    history: await rows('email_status_history', 'id'),
    activities: await rows('activities', 'id'),
    notifications: await rows('salesforce_notifications', 'notification_id'),
    records: await rows('salesforce_records', 'record_id'),
    addressOptOuts: await rows('salesforce_address_opt_outs', 'email_key'),
  };
}

/** A service whose listener takes ORG_ID's messages at listenerUrl: what a suite works with. */
export interface RunningListener {
  service: TestService;
  /** The listener's address. */
  url: string;
  services: Services;
  db: Database;
  /** A fresh record number, notification number and address for each use. */
  fresh: () => number;
  /** Sends one notification of the record (its number `n`, a fresh one unless given). */
  notify: (
    type: 'Lead' | 'Contact',
    recordId: string,
    fields: Record<string, string | null>,
    n?: number,
  ) => Promise<void>;
}

/** A service with the listener for a whole suite (mocha hooks), handed to `opened` once started. */
export function listenerPerSuite(
  engine: TestEngine,
  opened: (listener: RunningListener) => void,
): void {
  let service: TestService | undefined;
  before(async () => {
    service = await startTestService(engine, {
      salesforceOrgIds: [ORG_ID],
      salesforcePathSecret: PATH_SECRET,
    });
    const url = listenerUrl(service.base);
    let next = 0;
    const fresh = () => ++next;
    opened({
      service,
      url,
      services: service.running.services,
      db: service.running.database,
      fresh,
      notify: (type, recordId, fields, n = fresh()) =>
        send1(url, { id: notificationId(n), type, recordId, fields }),
    });
  });
  after(() => service?.stop());
}

/** The one person a Lead record id names. */
export async function bySalesforceId(services: Services, recordId: string): Promise<LeadView> {
  const [lead, ...more] = await services.leads.find({ keyType: 'SFDCLEADID', keyValue: recordId });
  expect(more).to.have.length(0);
  return lead!;
}

/** The lead's value of an attribute, by its name. */
export function attributeOf(lead: LeadView, name: string): string | undefined {
  return lead.attributes.find((a) => a.name === name)?.value;
}

/** A LastModifiedDate or SystemModstamp `second` seconds into a fixed minute (ISO 8601). */
export const modstampAt = (second: number) =>
  new Date(Date.UTC(2026, 10, 26, 10, 0, second)).toISOString();
