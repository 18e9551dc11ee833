#!/usr/bin/ruby
# The integration of soap4r_client.rb written on the classes wsdl2ruby generated from the live
# ?WSDL (soap4r_generate.rb): Mktows::MktowsPort, each paramsX built as its generated class,
# lists as the generated Array subclasses, answers as the generated classes; the same header
# handlers. soap4r maps these by their schema definitions, so unset members are left out and a
# LeadKeySelector goes with its xsi:type.
#
#     ruby soap4r_stubs_client.rb GENERATED_DIR ENDPOINT_URL USER_ID ENCRYPTION_KEY
#
# Prints one JSON line of what soap4r read (LegacyRun in test/interop/legacy-toolkits.ts).

require_relative 'soap4r_client'

generated, endpoint, user_id, encryption_key = ARGV
$LOAD_PATH.unshift(generated)
require 'mktowsDriver'
include Mktows

port = MktowsPort.new(endpoint)
port.wiredump_dev = STDERR if ENV['WIREDUMP']
port.headerhandler << AuthenticationHeaderHandler.new(user_id, encryption_key)
context = MktowsContextHeaderHandler.new
port.headerhandler << context

def record(email: nil, id: nil, foreign: nil, attrs: {})
  list = attrs.empty? ? nil : ArrayOfAttribute.new(attrs.map { |n, v| Attribute.new(n, nil, v) })
  LeadRecord.new(id, email, foreign, nil, list)
end

def stub_attributes(list)
  (list || []).each_with_object({}) { |a, h| h[a.attrName.to_s] = text(a.attrValue) }
end

leads_by_email = lambda do |email|
  result = port.getLead(ParamsGetLead.new(LeadKey.new('EMAIL', email))).result
  leads = (result.leadRecordList || []).map do |lead|
    attrs = stub_attributes(lead.leadAttributeList)
    { 'id' => Integer(lead.id.to_s), 'email' => text(lead.email),
      'unsubscribed' => attrs['Unsubscribed'], 'firstName' => attrs['FirstName'] }
  end
  { 'count' => Integer(result.count.to_s), 'leads' => leads.sort_by { |l| l['id'] } }
end

activities = lambda do |lead_id, batch, position = nil|
  page = port.getLeadActivity(ParamsGetLeadActivity.new(LeadKey.new('IDNUM', lead_id.to_s), nil, position, batch))
             .leadActivityList
  records = (page.activityRecordList || []).map do |r|
    { 'id' => Integer(r.id.to_s), 'activityType' => text(r.activityType),
      'attributes' => stub_attributes(r.activityAttributes) }
  end
  { 'returnCount' => Integer(page.returnCount.to_s), 'remainingCount' => Integer(page.remainingCount.to_s),
    'newStartPosition' => page.newStartPosition, 'records' => records }
end

run = Time.now.strftime('%H%M%S') + Process.pid.to_s
ann = "ann.#{run}@example.com"
bob = "bob.#{run}@example.com"
out = { 'client' => "soap4r #{SOAP::VERSION} (wsdl2ruby)" }

batch = port.syncMultipleLeads(ParamsSyncMultipleLeads.new(ArrayOfLeadRecord.new([
  record(email: ann, attrs: { 'FirstName' => 'Ann' }),
  record(email: bob, attrs: { 'FirstName' => 'Bob' }),
  record(email: "bad.#{run}@example.com", attrs: { 'NoSuchField' => 'x' })
]), true))
out['batch'] = batch.result.syncStatusList.map { |s| { 'leadId' => Integer(s.leadId.to_s), 'status' => s.status.to_s } }

context.workspace = 'East'
east = port.syncLead(ParamsSyncLead.new(record(email: " #{ann.upcase} ", foreign: "legacy-#{run}"), false)).result
context.workspace = nil
out['east'] = { 'leadId' => Integer(east.leadId.to_s), 'status' => east.syncStatus.status.to_s }

out['before'] = leads_by_email.call(ann)

a_id = out['batch'][0]['leadId']
unsub = port.syncLead(ParamsSyncLead.new(record(id: a_id, attrs: { 'Unsubscribed' => 'true' }), true)).result
out['unsubscribe'] = { 'leadId' => Integer(unsub.leadId.to_s), 'status' => unsub.syncStatus.status.to_s,
                       'returned' => stub_attributes(unsub.leadRecord.leadAttributeList)['Unsubscribed'] }

out['after'] = leads_by_email.call(ann)
out['bob'] = leads_by_email.call(bob)

out['change'] = {
  'a' => unsubscribe_change(activities.call(a_id, 100)),
  'east' => unsubscribe_change(activities.call(out['east']['leadId'], 100))
}
first = activities.call(a_id, 1)
second = activities.call(a_id, 1, first['newStartPosition'])
out['pages'] = [first, second].map do |p|
  { 'returnCount' => p['returnCount'], 'remainingCount' => p['remainingCount'],
    'ids' => p['records'].map { |r| r['id'] }, 'types' => p['records'].map { |r| r['activityType'] } }
end

# getMultipleLeads by a LeadKeySelector, the generated class: soap4r writes its xsi:type.
by_keys = port.getMultipleLeads(ParamsGetMultipleLeads.new(
  LeadKeySelector.new('EMAIL', ArrayOfString.new([ann, bob])), nil, nil, 10
)).result
out['byKeys'] = (by_keys.leadRecordList || []).map { |l| Integer(l.id.to_s) }.sort

begin
  port.getLead(ParamsGetLead.new(LeadKey.new('EMAIL', "nobody.#{run}@example.com")))
  out['fault'] = nil
rescue SOAP::FaultError => e
  exception = e.detail.respond_to?(:serviceException) ? e.detail.serviceException : nil
  out['fault'] = { 'faultcode' => e.faultcode.data, 'faultstring' => e.message,
                   'code' => exception && text(exception.code) }
end
puts JSON.generate(out)
