#!/usr/bin/python3
"""The served operations pysimplesoap_client.py does not call, as pysimplesoap integrations
called them from the live ?WSDL.

    /usr/bin/python3 pysimplesoap_operations.py WSDL_URL USER_ID ENCRYPTION_KEY

The WSDL form checks arguments against the declared type and finds no member in the abstract
LeadSelector, so it refuses any leadSelector before sending (ValueError "Args keys not in
parameter"); getMultipleLeads goes through the no-WSDL form, as such integrations called it: the
selector as the members of its kind (keyType and keyValues, or the dates) without xsi:type,
which the service reads as that kind. Positions are passed back as pysimplesoap read them. Prints one JSON object (test/interop/pysimplesoap.test.ts checks it).
"""

import datetime
import json
import sys

from pysimplesoap.client import SoapClient

MKTOWS = "http://www.marketo.com/mktows/"

# The script's own directory is on the path: the header as pysimplesoap_client.py signs it.
from pysimplesoap_client import signed


def main(wsdl_url, user_id, key):
    client = SoapClient(wsdl=wsdl_url, cache=None)

    def call(operation, **params):
        client["AuthenticationHeader"] = signed(user_id, key)
        return getattr(client, operation)(**params)

    run = datetime.datetime.now().strftime("%H%M%S%f")
    emails = [f"pss-ops-{n}-{run}@example.com" for n in (1, 2, 3)]
    # Each record with two members: pysimplesoap merges a one-member record into the next.
    records = [{"Email": e, "leadAttributeList": {"attribute": [{"attrName": "LastName", "attrValue": "Ops"}]}} for e in emails]
    batch = call("syncMultipleLeads", leadRecordList={"leadRecord": records}, dedupEnabled=True)
    ids = [int(s["leadId"]) for s in batch["result"]["syncStatusList"]["syncStatus"]]
    out = {"ids": ids}

    plain = SoapClient(location=wsdl_url.split("?")[0], action=MKTOWS, namespace=MKTOWS, soap_ns="soap", ns="ns1")

    def leads(**params):
        plain["AuthenticationHeader"] = signed(user_id, key)
        return plain.call("paramsGetMultipleLeads", **params).result

    by_keys = {"keyType": "EMAIL", "keyValues": [{"stringItem": e} for e in emails]}
    first = leads(leadSelector=by_keys, batchSize=2)
    second = leads(leadSelector=by_keys, streamPosition=str(first.newStreamPosition), batchSize=2)
    out["getMultipleLeadsByKeys"] = [
        int(first.returnCount),
        int(first.remainingCount),
        int(second.returnCount),
        int(second.remainingCount),
    ]
    since = {"oldestUpdatedAt": datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)}
    out["getMultipleLeadsByUpdate"] = int(leads(leadSelector=since, batchSize=100).returnCount)

    position = {"oldestCreatedAt": datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)}
    people = []
    for _ in range(20):
        page = call(
            "getLeadChanges",
            startPosition=position,
            batchSize=50,
        )["result"]
        # No activityFilter: pysimplesoap reads the ActivityType enumeration as a type with no
        # members and refuses any activityType value before sending; the types are read here.
        people += [
            int(r["mktPersonId"])
            for r in (page.get("leadChangeRecordList") or {}).get("leadChangeRecord") or []
            if r["activityType"] == "New Lead"
        ]
        if int(page["remainingCount"]) == 0:
            break
        position = page["newStartPosition"]
    out["getLeadChanges"] = sorted(set(people) & set(ids))

    merged = call(
        "mergeLeads",
        winningLeadKeyList={"attribute": [{"attrName": "IDNUM", "attrValue": str(ids[1])}]},
        losingLeadKeyLists={"keyList": [{"attribute": [{"attrName": "IDNUM", "attrValue": str(ids[2])}]}]},
    )["result"]["mergeStatus"]
    out["mergeLeads"] = {
        "status": merged["status"],
        "winner": int(merged["winningLeadId"]),
        "losers": [int(i["integerItem"]) for i in merged["losingLeadIdList"]],
    }

    described = call("describeMObject", objectName="LeadRecord")["result"]
    out["describeMObject"] = [f["name"] for f in described["metadata"]["fieldList"]["field"]][:2]
    # Called with no argument, the WSDL form names the Body's element after the operation
    # (<listMObjects>, which the schema does not declare: 20012) instead of paramsListMObjects;
    # the no-WSDL form names it.
    plain["AuthenticationHeader"] = signed(user_id, key)
    out["listMObjects"] = [str(o) for o in plain.call("paramsListMObjects").objects]
    deleted = call("deleteLead", leadKey={"keyType": "IDNUM", "keyValue": str(ids[0])})["result"]
    out["deleteLead"] = int(deleted["count"])
    print(json.dumps(out, sort_keys=True, default=str))


if __name__ == "__main__":
    main(*sys.argv[1:4])
