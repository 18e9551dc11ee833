#!/usr/bin/python3
"""Every served operation (and an unserved one) as a Python zeep stub calls it, strict mode.

    /usr/bin/python3 zeep_operations.py WSDL_URL USER_ID ENCRYPTION_KEY

Prints one JSON object of what zeep read from each answer (test/interop/zeep.test.ts checks
it). Derived types (LeadKeySelector, LastUpdateAtSelector) come from zeep's type factory, so
zeep writes their xsi:type; positions are passed back as zeep read them.
"""

import datetime
import json
import os
import sys

sys.path.insert(
    0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "examples", "python")
)

import zeep  # noqa: E402

from mktows_client import authentication, connect, fault_code  # noqa: E402


def main(wsdl_url, user_id, encryption_key):
    client = connect(wsdl_url)
    service = client.service
    types = client.type_factory("ns0")

    def auth():
        return {"authentication": authentication(user_id, encryption_key)}

    def fault_of(call):
        try:
            call()
        except zeep.exceptions.Fault as fault:
            return {"code": fault_code(fault), "faultcode": fault.code, "message": fault.message}
        return None

    out = {}
    run_id = datetime.datetime.now().strftime("%H%M%S%f")
    emails = [f"zeep-ops-{n}-{run_id}@example.com" for n in (1, 2, 3)]
    batch = service.syncMultipleLeads(
        leadRecordList={
            "leadRecord": [{"Email": e} for e in emails]
            + [
                {
                    "Email": "zeep-ops-bad@example.com",
                    "leadAttributeList": {
                        "attribute": [{"attrName": "NoSuchField", "attrValue": "x"}]
                    },
                }
            ]
        },
        dedupEnabled=True,
        _soapheaders=auth(),
    )
    # zeep unwraps the answer down to syncStatusList, its only member's only member.
    statuses = batch["syncStatus"]
    out["syncMultipleLeads"] = [s["status"] for s in statuses]
    ids = [s["leadId"] for s in statuses[:3]]

    by_keys = types.LeadKeySelector(keyType="EMAIL", keyValues={"stringItem": emails})
    first = service.getMultipleLeads(leadSelector=by_keys, batchSize=2, _soapheaders=auth())
    second = service.getMultipleLeads(
        leadSelector=by_keys,
        streamPosition=first["newStreamPosition"],
        batchSize=2,
        _soapheaders=auth(),
    )
    out["getMultipleLeadsByKeys"] = [
        first["returnCount"],
        first["remainingCount"],
        second["returnCount"],
        second["remainingCount"],
    ]
    since = types.LastUpdateAtSelector(
        oldestUpdatedAt=datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
    )
    updated = service.getMultipleLeads(
        leadSelector=since,
        includeAttributes={"stringItem": ["Email"]},
        batchSize=100,
        _soapheaders=auth(),
    )
    out["getMultipleLeadsByUpdate"] = updated["returnCount"]

    service.syncLead(
        leadRecord={
            "Id": ids[0],
            "leadAttributeList": {"attribute": [{"attrName": "FirstName", "attrValue": "Zed"}]},
        },
        returnLead=False,
        _soapheaders=auth(),
    )
    lead_key = {"keyType": "IDNUM", "keyValue": str(ids[0])}
    page = service.getLeadActivity(leadKey=lead_key, batchSize=1, _soapheaders=auth())
    seen = [r["id"] for r in page["activityRecordList"]["activityRecord"]]
    while page["remainingCount"] > 0 and len(seen) < 10:
        page = service.getLeadActivity(
            leadKey=lead_key, startPosition=page["newStartPosition"], batchSize=1, _soapheaders=auth()
        )
        seen += [r["id"] for r in (page["activityRecordList"] or {"activityRecord": []})["activityRecord"]]
    out["getLeadActivityPaged"] = seen
    by_date = service.getLeadActivity(
        leadKey=lead_key,
        startPosition={"activityCreatedAt": page["activityRecordList"]["activityRecord"][0]["activityDateTime"]},
        _soapheaders=auth(),
    )
    out["getLeadActivityByDate"] = [r["id"] for r in by_date["activityRecordList"]["activityRecord"]]

    changes = service.getLeadChanges(
        startPosition={"oldestCreatedAt": datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)},
        activityNameFilter={"stringItem": ["New Lead"]},
        batchSize=1000,
        _soapheaders=auth(),
    )
    out["getLeadChanges"] = sorted(
        {int(r["mktPersonId"]) for r in changes["leadChangeRecordList"]["leadChangeRecord"]}
        & set(ids)
    )

    described = service.describeMObject(objectName="LeadRecord", _soapheaders=auth())
    out["describeMObject"] = [f["name"] for f in described["fieldList"]["field"]][:3]

    merged = service.mergeLeads(
        winningLeadKeyList={"attribute": [{"attrName": "IDNUM", "attrValue": str(ids[1])}]},
        losingLeadKeyLists={
            "keyList": [{"attribute": [{"attrName": "IDNUM", "attrValue": str(ids[2])}]}]
        },
        _soapheaders=auth(),
    )
    status = merged
    out["mergeLeads"] = {
        "status": status["status"],
        "winner": status["winningLeadId"],
        "losers": status["losingLeadIdList"]["integerItem"],
    }

    # Merged already: FAILED, its winningLeadId and losingLeadIdList nil.
    again = service.mergeLeads(
        winningLeadKeyList={"attribute": [{"attrName": "IDNUM", "attrValue": str(ids[1])}]},
        losingLeadKeyLists={
            "keyList": [{"attribute": [{"attrName": "IDNUM", "attrValue": str(ids[2])}]}]
        },
        _soapheaders=auth(),
    )
    out["mergeLeadsAgain"] = {
        "status": again["status"],
        "winner": again["winningLeadId"],
        # zeep reads the nil list as one of no item.
        "losers": list((again["losingLeadIdList"] or {"integerItem": []})["integerItem"]),
        "error": bool(again["error"]),
    }

    # A naive datetime (zeep writes it with no offset: read as UTC) and an empty list of
    # activity types (zeep writes <includeTypes/>: no filter).
    naive = service.getLeadChanges(
        startPosition={"oldestCreatedAt": datetime.datetime(2000, 1, 1)},
        activityFilter={"includeTypes": {"activityType": []}},
        batchSize=1000,
        _soapheaders=auth(),
    )
    out["getLeadChangesNaive"] = {
        "oldestCreatedAt": naive["newStartPosition"]["oldestCreatedAt"].isoformat(),
        "mine": sorted(
            {int(r["mktPersonId"]) for r in naive["leadChangeRecordList"]["leadChangeRecord"]}
            & set(ids)
        ),
    }

    listed = service.listMObjects(_soapheaders=auth())
    out["listMObjects"] = zeep.helpers.serialize_object(listed)

    out["unserved"] = fault_of(
        lambda: service.requestCampaign(
            source="MKTOWS", leadList={"leadKey": [lead_key]}, _soapheaders=auth()
        )
    )
    out["notFound"] = fault_of(
        lambda: service.getLead(
            leadKey={"keyType": "EMAIL", "keyValue": "nobody-zeep@example.com"}, _soapheaders=auth()
        )
    )
    out["ids"] = ids
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main(*sys.argv[1:4])
