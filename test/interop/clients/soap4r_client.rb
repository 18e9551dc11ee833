#!/usr/bin/ruby
# An mktows integration as Ruby shops wrote it with soap4r (the Rails era's SOAP library).
#
#     ruby soap4r_client.rb WSDL_URL USER_ID ENCRYPTION_KEY
#
# SOAP::WSDLDriverFactory reads the live ?WSDL and creates an RPC driver whose methods take each
# paramsX as a Hash (soap4r orders the members by the schema); the AuthenticationHeader comes from
# a SOAP::Header::SimpleHandler subclass (on_simple_outbound), signed afresh on every call, and the
# MktowsContextHeader from another, set for one call. Answers are soap4r's mapped objects
# (accessors named after the elements, a list only where several came). Prints one JSON line of
# what soap4r read (LegacyRun in test/interop/legacy-toolkits.ts). WIREDUMP=1 writes the bytes
# on the wire to stderr (wiredump_dev).

require 'json'
require 'openssl'
require 'time'
require 'soap/wsdlDriver'
require 'soap/header/simplehandler'

MKTOWS = 'http://www.marketo.com/mktows/'

# The vendor's signature: hex HMAC-SHA1 of the timestamp and the user id, a fresh one each call.
class AuthenticationHeaderHandler < SOAP::Header::SimpleHandler
  NAME = XSD::QName.new(MKTOWS, 'AuthenticationHeader')

  def initialize(user_id, encryption_key)
    super(NAME)
    @user_id = user_id
    @encryption_key = encryption_key
  end

  def on_simple_outbound
    timestamp = Time.now.iso8601
    signature = OpenSSL::HMAC.hexdigest(OpenSSL::Digest.new('sha1'), @encryption_key, timestamp + @user_id)
    { 'mktowsUserId' => @user_id, 'requestSignature' => signature, 'requestTimestamp' => timestamp }
  end
end

# The partition of the leads syncLead creates; no header while no workspace is set.
class MktowsContextHeaderHandler < SOAP::Header::SimpleHandler
  NAME = XSD::QName.new(MKTOWS, 'MktowsContextHeader')
  attr_accessor :workspace

  def initialize
    super(NAME)
    @workspace = nil
  end

  def on_simple_outbound
    @workspace ? { 'targetWorkspace' => @workspace } : nil
  end
end

def driver_for(wsdl_url, user_id, encryption_key)
  driver = SOAP::WSDLDriverFactory.new(wsdl_url).create_rpc_driver
  driver.wiredump_dev = STDERR if ENV['WIREDUMP']
  driver.headerhandler << AuthenticationHeaderHandler.new(user_id, encryption_key)
  context = MktowsContextHeaderHandler.new
  driver.headerhandler << context
  [driver, context]
end

# What soap4r read under a list element: an Array when several came, one object, or nothing.
def items(value, name)
  return [] if value.nil?
  found = value.respond_to?(name) ? value.__send__(name) : nil
  return [] if found.nil?
  found.is_a?(Array) ? found : [found]
end

def text(value)
  value.nil? ? nil : value.to_s
end

def attributes(list)
  items(list, 'attribute').each_with_object({}) { |a, h| h[a.attrName.to_s] = text(a.attrValue) }
end

# The Change Data Value of Unsubscribed in a page as a client reported it ('records').
def unsubscribe_change(page)
  change = page['records'].find do |r|
    r['activityType'] == 'Change Data Value' && r['attributes']['Attribute Name'] == 'Unsubscribed'
  end
  change && { 'oldValue' => change['attributes']['Old Value'], 'newValue' => change['attributes']['New Value'],
              'reason' => change['attributes']['Reason'] }
end

def main(wsdl_url, user_id, encryption_key)
  driver, context = driver_for(wsdl_url, user_id, encryption_key)

  record = lambda do |email: nil, id: nil, foreign: nil, attrs: {}|
    r = {}
    r['Id'] = id unless id.nil?
    r['Email'] = email unless email.nil?
    r['ForeignSysPersonId'] = foreign unless foreign.nil?
    # soap4r writes every unset nillable member as nil, but checks the nil against an
    # enumeration first and refuses it (XSD::ValueSpaceError): its users gave that one as a
    # SOAPNil themselves.
    r['ForeignSysType'] = SOAP::SOAPNil.new
    unless attrs.empty?
      r['leadAttributeList'] = { 'attribute' => attrs.map { |n, v| { 'attrName' => n, 'attrValue' => v } } }
    end
    r
  end

  leads_by_email = lambda do |email|
    result = driver.getLead('leadKey' => { 'keyType' => 'EMAIL', 'keyValue' => email }).result
    leads = items(result.leadRecordList, 'leadRecord').map do |lead|
      attrs = attributes(lead.leadAttributeList)
      { 'id' => Integer(lead.id.to_s), 'email' => text(lead.email),
        'unsubscribed' => attrs['Unsubscribed'], 'firstName' => attrs['FirstName'] }
    end
    { 'count' => Integer(result.count.to_s), 'leads' => leads.sort_by { |l| l['id'] } }
  end

  activities = lambda do |lead_id, batch, position = nil|
    params = { 'leadKey' => { 'keyType' => 'IDNUM', 'keyValue' => lead_id.to_s }, 'batchSize' => batch }
    params['startPosition'] = position unless position.nil?
    page = driver.getLeadActivity(params).leadActivityList
    records = items(page.activityRecordList, 'activityRecord').map do |r|
      { 'id' => Integer(r.id.to_s), 'activityType' => text(r.activityType),
        'attributes' => attributes(r.activityAttributes) }
    end
    { 'returnCount' => Integer(page.returnCount.to_s), 'remainingCount' => Integer(page.remainingCount.to_s),
      'newStartPosition' => page.newStartPosition, 'records' => records }
  end

  run = Time.now.strftime('%H%M%S') + Process.pid.to_s
  ann = "ann.#{run}@example.com"
  bob = "bob.#{run}@example.com"
  out = { 'client' => "soap4r #{SOAP::VERSION}" }

  # 1. syncMultipleLeads: two people and a record with an attribute nobody has.
  batch = driver.syncMultipleLeads(
    'leadRecordList' => { 'leadRecord' => [
      record.call(email: ann, attrs: { 'FirstName' => 'Ann' }),
      record.call(email: bob, attrs: { 'FirstName' => 'Bob' }),
      record.call(email: "bad.#{run}@example.com", attrs: { 'NoSuchField' => 'x' })
    ] },
    'dedupEnabled' => true
  )
  out['batch'] = items(batch.result.syncStatusList, 'syncStatus').map do |s|
    { 'leadId' => Integer(s.leadId.to_s), 'status' => s.status.to_s }
  end

  # 2. syncLead: the same address, other case and spaces, with a foreign id (so that the address
  # does not find Ann), in partition East.
  context.workspace = 'East'
  east = driver.syncLead('leadRecord' => record.call(email: " #{ann.upcase} ", foreign: "legacy-#{run}"),
                         'returnLead' => false).result
  context.workspace = nil
  out['east'] = { 'leadId' => Integer(east.leadId.to_s), 'status' => east.syncStatus.status.to_s }

  out['before'] = leads_by_email.call(ann)

  # 3. syncLead: unsubscribe Ann by her Id, the record returned.
  a_id = out['batch'][0]['leadId']
  unsub = driver.syncLead('leadRecord' => record.call(id: a_id, attrs: { 'Unsubscribed' => 'true' }),
                          'returnLead' => true).result
  out['unsubscribe'] = { 'leadId' => Integer(unsub.leadId.to_s), 'status' => unsub.syncStatus.status.to_s,
                         'returned' => attributes(unsub.leadRecord.leadAttributeList)['Unsubscribed'] }

  out['after'] = leads_by_email.call(ann)
  out['bob'] = leads_by_email.call(bob)

  # 4. getLeadActivity: each person's Unsubscribed change; Ann's history a page at a time, the
  # second page from the newStartPosition soap4r read.
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

  # 5. A fault: getLead of an address nobody has.
  begin
    driver.getLead('leadKey' => { 'keyType' => 'EMAIL', 'keyValue' => "nobody.#{run}@example.com" })
    out['fault'] = nil
  rescue SOAP::FaultError => e
    exception = e.detail.respond_to?(:serviceException) ? e.detail.serviceException : nil
    out['fault'] = { 'faultcode' => e.faultcode.data, 'faultstring' => e.message,
                     'code' => exception && text(exception.code) }
  end
  puts JSON.generate(out)
end

main(*ARGV[0, 3]) if $PROGRAM_NAME == __FILE__
