#!/usr/bin/python3
"""An mktows integration as Python shops wrote it with suds (the vendor era's Python SOAP client).

    /usr/bin/python3 suds_client.py WSDL_URL USER_ID ENCRYPTION_KEY

suds reads the ?WSDL, builds the header from the vendor's type (AuthenticationHeaderInfo) with
its factory, unwraps each paramsX into keyword arguments, and gives answers as its own objects:
numbers and dates typed from the schema, lists only where it found several. Prints one JSON line
of what suds read (the shape of LegacyRun in test/interop/legacy-toolkits.ts).
"""

import datetime
import hashlib
import hmac
import json
import os
import sys

import suds
from suds.client import Client


def signed(client, user_id, encryption_key):
    header = client.factory.create("AuthenticationHeaderInfo")
    timestamp = datetime.datetime.now(datetime.timezone.utc).astimezone().isoformat(timespec="seconds")
    header.mktowsUserId = user_id
    header.requestTimestamp = timestamp
    header.requestSignature = hmac.new(
        encryption_key.encode(), (timestamp + user_id).encode(), hashlib.sha1
    ).hexdigest()
    return header


def items(value, name):
    """The list suds read under `name`: a list, one object, or nothing."""
    if value is None:
        return []
    found = getattr(value, name, None)
    if found is None:
        return []
    return found if isinstance(found, list) else [found]


def attributes(record, list_name="leadAttributeList"):
    return {a.attrName: a.attrValue for a in items(getattr(record, list_name, None), "attribute")}


def main(wsdl_url, user_id, encryption_key):
    client = Client(wsdl_url, cache=None)
    factory = client.factory
    service = client.service

    def headers(*extra):
        client.set_options(soapheaders=(signed(client, user_id, encryption_key),) + extra)

    def record(email=None, lead_id=None, **attrs):
        r = factory.create("LeadRecord")
        if email is not None:
            r.Email = email
        if lead_id is not None:
            r.Id = lead_id
        if attrs:
            r.leadAttributeList = factory.create("ArrayOfAttribute")
            for name, value in attrs.items():
                a = factory.create("Attribute")
                a.attrName = name
                a.attrValue = value
                r.leadAttributeList.attribute.append(a)
        return r

    def key(key_type, value):
        k = factory.create("LeadKey")
        k.keyType = key_type
        k.keyValue = value
        return k

    def leads_by_email(email):
        headers()
        result = service.getLead(leadKey=key("EMAIL", email))
        leads = []
        for lead in items(result.leadRecordList, "leadRecord"):
            attrs = attributes(lead)
            leads.append(
                {
                    "id": int(lead.Id),
                    "email": lead.Email,
                    "unsubscribed": attrs.get("Unsubscribed"),
                    "firstName": attrs.get("FirstName"),
                }
            )
        return {"count": int(result.count), "leads": sorted(leads, key=lambda lead: lead["id"])}

    def activities(lead_id, batch, position=None):
        headers()
        kwargs = {"leadKey": key("IDNUM", str(lead_id)), "batchSize": batch}
        if position is not None:
            kwargs["startPosition"] = position
        page = service.getLeadActivity(**kwargs)
        records = []
        for r in items(page.activityRecordList, "activityRecord"):
            records.append(
                {"id": int(r.id), "activityType": r.activityType, "attributes": attributes(r, "activityAttributes")}
            )
        return {
            "returnCount": int(page.returnCount),
            "remainingCount": int(page.remainingCount),
            "newStartPosition": page.newStartPosition,
            "records": records,
        }

    def unsubscribe_change(page):
        for r in page["records"]:
            a = r["attributes"]
            if r["activityType"] == "Change Data Value" and a.get("Attribute Name") == "Unsubscribed":
                return {"oldValue": a.get("Old Value"), "newValue": a.get("New Value"), "reason": a.get("Reason")}
        return None

    run = datetime.datetime.now().strftime("%H%M%S") + str(os.getpid())
    ann, bob = f"ann.{run}@example.com", f"bob.{run}@example.com"
    out = {"client": f"suds {suds.__version__}"}

    # 1. syncMultipleLeads: two people and a record with an attribute nobody has.
    headers()
    batch_list = factory.create("ArrayOfLeadRecord")
    batch_list.leadRecord = [
        record(ann, FirstName="Ann"),
        record(bob, FirstName="Bob"),
        record(f"bad.{run}@example.com", NoSuchField="x"),
    ]
    batch = service.syncMultipleLeads(leadRecordList=batch_list, dedupEnabled=True)
    out["batch"] = [
        {"leadId": int(s.leadId), "status": s.status} for s in items(batch.syncStatusList, "syncStatus")
    ]

    # 2. syncLead: the same address, other case and spaces, with a foreign id (so that the
    # address does not find Ann) in partition East.
    context = factory.create("MktowsContextHeaderInfo")
    context.targetWorkspace = "East"
    headers(context)
    east_record = record(f" {ann.upper()} ")
    east_record.ForeignSysPersonId = f"legacy-{run}"
    east = service.syncLead(leadRecord=east_record, returnLead=False)
    out["east"] = {"leadId": int(east.leadId), "status": east.syncStatus.status}

    out["before"] = leads_by_email(ann)

    # 3. syncLead: unsubscribe Ann by her Id, the record returned.
    a_id = out["batch"][0]["leadId"]
    headers()
    unsub = service.syncLead(leadRecord=record(lead_id=a_id, Unsubscribed="true"), returnLead=True)
    out["unsubscribe"] = {
        "leadId": int(unsub.leadId),
        "status": unsub.syncStatus.status,
        "returned": attributes(unsub.leadRecord).get("Unsubscribed"),
    }

    out["after"] = leads_by_email(ann)
    out["bob"] = leads_by_email(bob)

    # 4. getLeadActivity: each person's Unsubscribed change; Ann's history a page at a time.
    out["change"] = {
        "a": unsubscribe_change(activities(a_id, 100)),
        "east": unsubscribe_change(activities(out["east"]["leadId"], 100)),
    }
    first = activities(a_id, 1)
    second = activities(a_id, 1, first["newStartPosition"])
    out["pages"] = [
        {
            "returnCount": p["returnCount"],
            "remainingCount": p["remainingCount"],
            "ids": [r["id"] for r in p["records"]],
            "types": [r["activityType"] for r in p["records"]],
        }
        for p in (first, second)
    ]

    # 5. A fault: getLead of an address nobody has.
    headers()
    try:
        service.getLead(leadKey=key("EMAIL", f"nobody.{run}@example.com"))
        out["fault"] = None
    except suds.WebFault as e:
        detail = getattr(e.fault, "detail", None)
        exception = getattr(detail, "serviceException", None)
        out["fault"] = {
            "faultcode": e.fault.faultcode,
            "faultstring": e.fault.faultstring,
            "code": getattr(exception, "code", None),
        }
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main(*sys.argv[1:4])
