#!/usr/bin/python3
"""The optional parameters and rarer answers of the served operations, as suds integrations
used them: what suds_client.py and suds_operations.py leave out.

    /usr/bin/python3 suds_optional_parameters.py WSDL_URL USER_ID ENCRYPTION_KEY

syncLead with a foreign id and type and a marketoCookie; getLead by SFDCLEADID, by COOKIE and
by LEADOWNEREMAIL (the faults read from suds' WebFault detail); getLeadActivity with
excludeTypes; syncMultipleLeads with dedupEnabled false; getMultipleLeads by the top-level
lastUpdatedAt (paged by the newStreamPosition read) and by a LastUpdateAtSelector closed with
latestUpdatedAt; getLeadChanges closed with latestCreatedAt, paged by the newStartPosition read;
mergeLeads with mergeInSales. Prints one JSON object of what suds read
(test/interop/suds.test.ts checks it).
"""

import datetime
import json
import sys
import time

import suds
from suds.client import Client

# The script's own directory is on the path: the header as suds_client.py signs it.
from suds_client import items, signed


def main(wsdl_url, user_id, encryption_key):
    client = Client(wsdl_url, cache=None)
    factory = client.factory
    service = client.service

    def headers():
        client.set_options(soapheaders=(signed(client, user_id, encryption_key),))

    def fault_of(call):
        headers()
        try:
            call()
        except suds.WebFault as e:
            exception = getattr(getattr(e.fault, "detail", None), "serviceException", None)
            return {"faultstring": e.fault.faultstring, "code": str(getattr(exception, "code", None))}
        return None

    def key(key_type, value):
        k = factory.create("LeadKey")
        k.keyType, k.keyValue = key_type, value
        return k

    run = datetime.datetime.now().strftime("%H%M%S%f")
    out = {}

    # syncLead: a CRM's person, its foreign id and type, with the visitor's Munchkin cookie.
    cookie = f"id:561-HYG-937&token:_mch-example.com-{run}"
    record = factory.create("LeadRecord")
    record.Email = f"suds-opt-{run}@example.com"
    record.ForeignSysPersonId = f"00Q{run}"
    record.ForeignSysType = "SFDC"
    headers()
    synced = service.syncLead(leadRecord=record, returnLead=True, marketoCookie=cookie)
    crm = int(synced.leadId)
    out["syncLead"] = {
        "status": synced.syncStatus.status,
        "foreignSysPersonId": synced.leadRecord.ForeignSysPersonId,
        "foreignSysType": synced.leadRecord.ForeignSysType,
    }

    headers()
    found = service.getLead(leadKey=key("SFDCLEADID", f"00Q{run}"))
    out["bySfdcLeadId"] = [int(r.Id) for r in items(found.leadRecordList, "leadRecord")] == [crm]
    out["byCookie"] = fault_of(lambda: service.getLead(leadKey=key("COOKIE", cookie)))
    out["byLeadOwnerEmail"] = fault_of(
        lambda: service.getLead(leadKey=key("LEADOWNEREMAIL", "owner@example.com"))
    )

    # getLeadActivity without New Lead: the person's unsubscribe only, then nothing at all.
    unsubscribe = factory.create("LeadRecord")
    unsubscribe.Id = crm
    attributes = factory.create("ArrayOfAttribute")
    flag = factory.create("Attribute")
    flag.attrName, flag.attrValue = "Unsubscribed", "true"
    attributes.attribute.append(flag)
    unsubscribe.leadAttributeList = attributes
    headers()
    service.syncLead(leadRecord=unsubscribe, returnLead=False)

    def activity_types(*excluded):
        not_new = factory.create("ActivityTypeFilter")
        not_new.excludeTypes = factory.create("ArrayOfActivityType")
        not_new.excludeTypes.activityType = list(excluded)
        headers()
        page = service.getLeadActivity(leadKey=key("IDNUM", str(crm)), activityFilter=not_new)
        records = items(page.activityRecordList, "activityRecord")
        return {"returnCount": int(page.returnCount), "types": [r.activityType for r in records]}

    out["excludeTypes"] = [
        activity_types("NewLead"),
        activity_types("NewLead", "ChangeDataValue"),
    ]

    # syncMultipleLeads without dedup: two more people with the address, not it updated.
    twins = factory.create("ArrayOfLeadRecord")
    for _ in range(2):
        twin = factory.create("LeadRecord")
        twin.Email = record.Email
        twins.leadRecord.append(twin)
    headers()
    batch = service.syncMultipleLeads(leadRecordList=twins, dedupEnabled=False)
    statuses = items(batch.syncStatusList, "syncStatus")
    headers()
    same = service.getLead(leadKey=key("EMAIL", record.Email))
    out["dedupDisabled"] = {
        "statuses": [s.status for s in statuses],
        "newIds": len({int(s.leadId) for s in statuses} - {crm}),
        "count": int(same.count),
    }

    # Two people on either side of a second: A at `bound` (a whole second, as answers write
    # dates), B created after it.
    def person(tag):
        p = factory.create("LeadRecord")
        p.Email = f"suds-opt-{tag}-{run}@example.com"
        headers()
        return int(service.syncLead(leadRecord=p, returnLead=False).leadId)

    a = person("a")
    headers()
    made = service.getLeadActivity(leadKey=key("IDNUM", str(a)))
    bound = items(made.activityRecordList, "activityRecord")[0].activityDateTime
    time.sleep(max(0.0, bound.timestamp() + 1.2 - time.time()))
    b = person("b")

    # getMultipleLeads by lastUpdatedAt, one a page, the newStreamPosition read passed back.
    seen, position = [], None
    for _ in range(50):
        headers()
        page = service.getMultipleLeads(lastUpdatedAt=bound, streamPosition=position, batchSize=1)
        seen += [int(r.Id) for r in items(page.leadRecordList, "leadRecord")]
        if int(page.remainingCount) == 0:
            break
        position = page.newStreamPosition
    out["lastUpdatedAt"] = {"a": a in seen, "b": b in seen, "once": len(seen) == len(set(seen))}

    window = factory.create("LastUpdateAtSelector")
    window.oldestUpdatedAt = bound
    window.latestUpdatedAt = bound
    headers()
    closed = service.getMultipleLeads(leadSelector=window, batchSize=100)
    ids = [int(r.Id) for r in items(closed.leadRecordList, "leadRecord")]
    out["latestUpdatedAt"] = {"a": a in ids, "b": b in ids}

    # getLeadChanges closed at the bound, paged by the newStartPosition read: A, never B.
    start = factory.create("StreamPosition")
    start.oldestCreatedAt = bound - datetime.timedelta(minutes=1)
    start.latestCreatedAt = bound
    people, pages = [], 0
    for _ in range(50):
        headers()
        page = service.getLeadChanges(startPosition=start, batchSize=1)
        pages += 1
        people += [int(r.mktPersonId) for r in items(page.leadChangeRecordList, "leadChangeRecord")]
        if int(page.remainingCount) == 0:
            break
        start = page.newStartPosition
    out["latestCreatedAt"] = {
        "a": a in people,
        "b": b in people,
        "kept": start.latestCreatedAt == bound,
        "paged": pages > 1,
    }

    # mergeLeads with mergeInSales: read, merged here all the same.
    winner = factory.create("ArrayOfAttribute")
    winning = factory.create("Attribute")
    winning.attrName, winning.attrValue = "IDNUM", str(a)
    winner.attribute.append(winning)
    losers = factory.create("ArrayOfKeyList")
    loser = factory.create("ArrayOfAttribute")
    losing = factory.create("Attribute")
    losing.attrName, losing.attrValue = "IDNUM", str(b)
    loser.attribute.append(losing)
    losers.keyList.append(loser)
    headers()
    merged = service.mergeLeads(winningLeadKeyList=winner, losingLeadKeyLists=losers, mergeInSales=True)
    out["mergeInSales"] = {
        "status": merged.mergeStatus.status,
        "winner": int(merged.mergeStatus.winningLeadId) == a,
        "losers": [int(i) for i in items(merged.mergeStatus.losingLeadIdList, "integerItem")] == [b],
    }
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main(*sys.argv[1:4])
