#!/usr/bin/ruby
# The served operations soap4r_client.rb does not call, as soap4r integrations called them.
#
#     ruby soap4r_operations.rb WSDL_URL USER_ID ENCRYPTION_KEY
#
# The same driver and headers as soap4r_client.rb. The abstract leadSelector: soap4r writes a
# Hash as the type the element declares (LeadSelector, which has no member) and so drops every
# member, and it names no derived type; its users built the selector as a SOAP::SOAPElement with
# its xsi:type, which soap4r sends as given. Positions are passed back as soap4r read them.
# Prints one JSON object of what soap4r read (test/interop/soap4r.test.ts checks it).

require_relative 'soap4r_client'

def selector(type, members)
  element = SOAP::SOAPElement.new(XSD::QName.new(nil, 'leadSelector'))
  element.extraattr[XSD::AttrTypeName] = XSD::QName.new(MKTOWS, type)
  members.each { |child| element.add(child) }
  element
end

def member(name, value)
  SOAP::SOAPElement.new(XSD::QName.new(nil, name), value)
end

def operations(wsdl_url, user_id, encryption_key)
  driver, = driver_for(wsdl_url, user_id, encryption_key)
  run = Time.now.strftime('%H%M%S%6N')
  emails = [1, 2, 3, 4].map { |n| "soap4r-ops-#{n}-#{run}@example.com" }
  batch = driver.syncMultipleLeads(
    'leadRecordList' => { 'leadRecord' => emails.map { |e| { 'Email' => e, 'ForeignSysType' => SOAP::SOAPNil.new } } },
    'dedupEnabled' => true
  )
  ids = items(batch.result.syncStatusList, 'syncStatus').map { |s| Integer(s.leadId.to_s) }
  out = { 'ids' => ids }

  keys = member('keyValues', nil)
  emails[0, 3].each { |e| keys.add(member('stringItem', e)) }
  by_keys = selector('LeadKeySelector', [member('keyType', 'EMAIL'), keys])
  first = driver.getMultipleLeads('leadSelector' => by_keys, 'batchSize' => 2).result
  second = driver.getMultipleLeads('leadSelector' => by_keys, 'streamPosition' => first.newStreamPosition,
                                   'batchSize' => 2).result
  out['byKeys'] = [first, second].map do |page|
    { 'returnCount' => Integer(page.returnCount.to_s), 'remainingCount' => Integer(page.remainingCount.to_s),
      'ids' => items(page.leadRecordList, 'leadRecord').map { |l| Integer(l.id.to_s) } }
  end

  since = selector('LastUpdateAtSelector', [member('oldestUpdatedAt', (Time.now.utc - 3600).iso8601)])
  updated = driver.getMultipleLeads('leadSelector' => since, 'batchSize' => 100).result
  out['byUpdate'] = items(updated.leadRecordList, 'leadRecord').map { |l| Integer(l.id.to_s) }

  # getLeadChanges: New Lead activities a page of two at a time, each position passed back.
  # A whole second: on Ruby 1.9 and later soap4r writes a Time's fraction of a second as the
  # fraction times 86400 (XSD::XSDDateTime reads DateTime#sec_fraction as a fraction of a day, as
  # Ruby 1.8 gave it), an xs:dateTime no reader accepts; its users passed whole seconds.
  position = { 'oldestCreatedAt' => Time.at(Time.now.to_i - 3600) }
  changes = []
  50.times do
    page = driver.getLeadChanges('startPosition' => position,
                                 'activityFilter' => { 'includeTypes' => { 'activityType' => ['NewLead'] } },
                                 'batchSize' => 2).result
    changes += items(page.leadChangeRecordList, 'leadChangeRecord').map { |r| Integer(r.mktPersonId.to_s) }
    break if Integer(page.remainingCount.to_s).zero?
    position = page.newStartPosition
  end
  out['changes'] = changes & ids

  key = ->(id) { { 'attribute' => [{ 'attrName' => 'IDNUM', 'attrValue' => id.to_s }] } }
  merged = driver.mergeLeads('winningLeadKeyList' => key.call(ids[0]),
                             'losingLeadKeyLists' => { 'keyList' => [key.call(ids[1])] }).result.mergeStatus
  out['merge'] = { 'status' => merged.status.to_s, 'winner' => Integer(merged.winningLeadId.to_s),
                   'losers' => items(merged.losingLeadIdList, 'integerItem').map { |i| Integer(i.to_s) } }

  deleted = driver.deleteLead('leadKey' => { 'keyType' => 'IDNUM', 'keyValue' => ids[3].to_s }).result
  out['deleted'] = { 'count' => Integer(deleted.count.to_s),
                     'leadIds' => items(deleted.leadIdList, 'leadId').map { |i| Integer(i.to_s) } }

  objects = driver.listMObjects({}).result.objects
  out['objects'] = (objects.is_a?(Array) ? objects : [objects]).map(&:to_s)
  out['described'] = out['objects'].to_h do |name|
    fields = items(driver.describeMObject('objectName' => name).result.metadata.fieldList, 'field')
    [name, fields.map { |f| f.name.to_s }]
  end

  begin
    driver.requestCampaign('source' => 'MKTOWS', 'leadList' => {})
    out['unserved'] = nil
  rescue SOAP::FaultError => e
    out['unserved'] = e.detail.respond_to?(:serviceException) ? text(e.detail.serviceException.code) : e.message
  end
  puts JSON.generate(out)
end

operations(*ARGV[0, 3]) if $PROGRAM_NAME == __FILE__
