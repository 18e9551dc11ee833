#!/usr/bin/python3
"""The served operations suds_client.py does not call, as suds integrations called them.

    /usr/bin/python3 suds_operations.py WSDL_URL USER_ID ENCRYPTION_KEY

Selectors and filters from suds' factory (LeadKeySelector, LastUpdateAtSelector: suds writes
their xsi:type; ActivityTypeFilter's choice filled with an ArrayOfActivityType), positions
passed back as suds read them, keyword arguments. Prints one JSON object of what suds read
(test/interop/suds.test.ts checks it).
"""

import datetime
import json
import sys

from suds.client import Client

# The script's own directory is on the path: the header as suds_client.py signs it.
from suds_client import signed


def main(wsdl_url, user_id, encryption_key):
    client = Client(wsdl_url, cache=None)
    factory = client.factory
    service = client.service

    def headers():
        client.set_options(soapheaders=(signed(client, user_id, encryption_key),))

    run = datetime.datetime.now().strftime("%H%M%S%f")
    emails = [f"suds-ops-{n}-{run}@example.com" for n in (1, 2, 3)]
    records = factory.create("ArrayOfLeadRecord")
    for email in emails:
        record = factory.create("LeadRecord")
        record.Email = email
        records.leadRecord.append(record)
    headers()
    batch = service.syncMultipleLeads(leadRecordList=records, dedupEnabled=True)
    ids = [int(s.leadId) for s in batch.syncStatusList.syncStatus]
    out = {"ids": ids}

    by_keys = factory.create("LeadKeySelector")
    by_keys.keyType = "EMAIL"
    by_keys.keyValues.stringItem = emails
    headers()
    first = service.getMultipleLeads(leadSelector=by_keys, batchSize=2)
    headers()
    second = service.getMultipleLeads(
        leadSelector=by_keys, streamPosition=first.newStreamPosition, batchSize=2
    )
    out["getMultipleLeadsByKeys"] = [
        int(first.returnCount),
        int(first.remainingCount),
        int(second.returnCount),
        int(second.remainingCount),
    ]

    since = factory.create("LastUpdateAtSelector")
    since.oldestUpdatedAt = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
    headers()
    out["getMultipleLeadsByUpdate"] = int(
        service.getMultipleLeads(leadSelector=since, batchSize=100).returnCount
    )

    start = factory.create("StreamPosition")
    start.oldestCreatedAt = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
    new_leads = factory.create("ActivityTypeFilter")
    new_leads.includeTypes = factory.create("ArrayOfActivityType")
    new_leads.includeTypes.activityType = ["NewLead"]
    people = []
    position = start
    for _ in range(10):
        headers()
        page = service.getLeadChanges(startPosition=position, activityFilter=new_leads, batchSize=2)
        people += [int(r.mktPersonId) for r in page.leadChangeRecordList.leadChangeRecord]
        if int(page.remainingCount) == 0:
            break
        position = page.newStartPosition
    out["getLeadChanges"] = sorted(set(people) & set(ids))

    winner = factory.create("ArrayOfAttribute")
    key = factory.create("Attribute")
    key.attrName, key.attrValue = "IDNUM", str(ids[1])
    winner.attribute.append(key)
    losers = factory.create("ArrayOfKeyList")
    loser = factory.create("ArrayOfAttribute")
    key = factory.create("Attribute")
    key.attrName, key.attrValue = "IDNUM", str(ids[2])
    loser.attribute.append(key)
    losers.keyList.append(loser)
    headers()
    merged = service.mergeLeads(winningLeadKeyList=winner, losingLeadKeyLists=losers)
    out["mergeLeads"] = {
        "status": merged.mergeStatus.status,
        "winner": int(merged.mergeStatus.winningLeadId),
        "losers": [int(i) for i in merged.mergeStatus.losingLeadIdList.integerItem],
    }

    headers()
    described = service.describeMObject(objectName="LeadRecord")
    out["describeMObject"] = [f.name for f in described.metadata.fieldList.field][:2]
    headers()
    out["listMObjects"] = list(service.listMObjects().objects)
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main(*sys.argv[1:4])
