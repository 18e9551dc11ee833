/**
 * The requests the durable model's runs and the suites beside them send: mktows calls (syncLead,
 * syncMultipleLeads, deleteLead, mergeLeads) as the body of a SOAP envelope, the statuses a
 * syncMultipleLeads answer gives, and Salesforce's outbound notifications.
 */
import type { SampleNotification } from '../salesforce/support.js';

export const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
export const attr = (n: string, v: string) =>
  `<attribute><attrName>${n}</attrName><attrValue>${esc(v)}</attrValue></attribute>`;
export const workspace = (name: string) =>
  `<ns1:MktowsContextHeader><targetWorkspace>${name}</targetWorkspace></ns1:MktowsContextHeader>`;

export interface SoapRecord {
  id?: number;
  email?: string;
  clearEmail?: boolean;
  /** An Email attribute: with an Email member, the address the person found moves to. */
  emailAttribute?: string;
  foreignId?: string;
  unsub?: boolean;
  reason?: string;
}

export function recordXml(r: SoapRecord): string {
  let xml = '<leadRecord>';
  if (r.id !== undefined) xml += `<Id>${r.id}</Id>`;
  if (r.email !== undefined) xml += `<Email>${esc(r.email)}</Email>`;
  if (r.foreignId !== undefined) xml += `<ForeignSysPersonId>${r.foreignId}</ForeignSysPersonId>`;
  let attrs = '';
  if (r.clearEmail) attrs += attr('Email', '');
  if (r.emailAttribute !== undefined) attrs += attr('Email', r.emailAttribute);
  if (r.unsub !== undefined) attrs += attr('Unsubscribed', String(r.unsub));
  if (r.reason !== undefined) attrs += attr('UnsubscribedReason', r.reason);
  if (attrs === '') attrs = attr('FirstName', 'Pat');
  return `${xml}<leadAttributeList>${attrs}</leadAttributeList></leadRecord>`;
}

export const syncLeadXml = (r: SoapRecord) =>
  `<ns1:paramsSyncLead>${recordXml(r)}<returnLead>false</returnLead></ns1:paramsSyncLead>`;
export const syncManyXml = (rs: SoapRecord[], dedup = true) =>
  `<ns1:paramsSyncMultipleLeads><leadRecordList>${rs.map(recordXml).join('')}</leadRecordList><dedupEnabled>${dedup}</dedupEnabled></ns1:paramsSyncMultipleLeads>`;
export const idList = (id: number) =>
  `<attribute><attrName>IDNUM</attrName><attrValue>${id}</attrValue></attribute>`;
export const deleteXml = (id: number) =>
  `<ns1:paramsDeleteLead><leadKey><keyType>IDNUM</keyType><keyValue>${id}</keyValue></leadKey></ns1:paramsDeleteLead>`;
export const mergeXml = (w: number, losers: number[]) =>
  `<ns1:paramsMergeLeads><winningLeadKeyList>${idList(w)}</winningLeadKeyList><losingLeadKeyLists>${losers.map((l) => `<keyList>${idList(l)}</keyList>`).join('')}</losingLeadKeyLists></ns1:paramsMergeLeads>`;
export const deleteByEmailXml = (email: string) =>
  `<ns1:paramsDeleteLead><leadKey><keyType>EMAIL</keyType><keyValue>${esc(email)}</keyValue></leadKey></ns1:paramsDeleteLead>`;
export const statusesOf = (body: string) =>
  [...body.matchAll(/<syncStatus><leadId>(\d+)<\/leadId><status>(\w+)<\/status>/g)].map((m) => ({
    leadId: Number(m[1]),
    status: m[2]!,
  }));

/**
 * Salesforce's outbound notification `id` of `recordId` (a Lead, a Contact or a person
 * account, told by the id's prefix) with the model's field names (Email, HasOptedOutOfEmail,
 * SystemModstamp) as that object names them.
 */
export function sfNotification(
  id: string,
  recordId: string,
  fields: Record<string, string>,
): SampleNotification {
  if (recordId.startsWith('003')) return { id, type: 'Contact', recordId, fields };
  if (!recordId.startsWith('001')) return { id, type: 'Lead', recordId, fields };
  const named: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields))
    named[name === 'SystemModstamp' ? name : `Person${name}`] = value;
  return { id, type: 'Account', recordId, fields: named };
}
