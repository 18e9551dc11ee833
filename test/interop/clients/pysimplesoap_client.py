#!/usr/bin/python3
"""An mktows integration as Python shops wrote it with pysimplesoap (PySimpleSOAP, Debian's
python3-pysimplesoap), in either of its two forms:

    /usr/bin/python3 pysimplesoap_client.py WSDL_URL USER_ID ENCRYPTION_KEY [wsdl|no-wsdl]

wsdl: SoapClient(wsdl=…?WSDL), each operation a method taking the paramsX members as keyword
arguments, answers as dicts and lists typed from the schema.
no-wsdl: SoapClient(location=…, action=…, namespace=…, soap_ns='soap', ns='ns1'), the params
element as the method (SOAPAction: the action and the method joined), answers as its
SimpleXMLElement read by name.
Headers through client['AuthenticationHeader'] = {...} (kept for every later call of that
client); lists as pysimplesoap writes repeated elements: a list of one-key dicts. Prints one JSON
line of what pysimplesoap read (the shape of LegacyRun in test/interop/legacy-toolkits.ts).
"""

import datetime
import hashlib
import hmac
import json
import os
import sys

import pysimplesoap
from pysimplesoap.client import SoapClient, SoapFault
from pysimplesoap.simplexml import SimpleXMLElement

MKTOWS = "http://www.marketo.com/mktows/"


def signed(user_id, encryption_key):
    timestamp = datetime.datetime.now(datetime.timezone.utc).astimezone().isoformat(timespec="seconds")
    signature = hmac.new(encryption_key.encode(), (timestamp + user_id).encode(), hashlib.sha1).hexdigest()
    return {"mktowsUserId": user_id, "requestSignature": signature, "requestTimestamp": timestamp}


def repeated(name, values, wsdl):
    """A list of `name` elements as pysimplesoap takes one: with the WSDL, the list under the
    member's name (the schema's maxOccurs tells it a list); without, a list of one-key dicts."""
    return {name: list(values)} if wsdl else [{name: v} for v in values]


def fault_of(client, error):
    """The fault of the last answer: SoapFault's fields, or (WSDL mode) read from the answer.

    In WSDL mode pysimplesoap looks the fault's detail up under the operation named by the
    Body's element (paramsGetLead), finds no such operation and raises RuntimeError instead of
    SoapFault; integrations read the fault from client.xml_response then.
    """
    if isinstance(error, SoapFault):
        detail = error.detail
        if isinstance(detail, dict):
            code = (detail.get("serviceException") or detail).get("code")
        else:
            code = SimpleXMLElement(detail)("code", error=False) if detail else None
        return {"faultcode": error.faultcode, "faultstring": error.faultstring, "code": None if code is None else str(code)}
    answer = SimpleXMLElement(client.xml_response)
    return {
        "faultcode": str(answer("faultcode", ns=False)),
        "faultstring": str(answer("faultstring", ns=False)),
        "code": str(answer("code", ns=False)),
    }


class WsdlCalls:
    """SoapClient(wsdl=…): operations by name, answers as dicts and lists."""

    def __init__(self, url, user_id, key):
        self.client = SoapClient(wsdl=url, cache=None)
        self.user_id, self.key = user_id, key

    def call(self, operation, context=None, **params):
        self.client["AuthenticationHeader"] = signed(self.user_id, self.key)
        if context is not None:
            self.client["MktowsContextHeader"] = {"targetWorkspace": context}
        return getattr(self.client, operation)(**params)

    @staticmethod
    def attributes(record, list_name="leadAttributeList"):
        listed = (record or {}).get(list_name) or {}
        return {a["attrName"]: a["attrValue"] for a in listed.get("attribute") or []}

    def sync_statuses(self, answer):
        return [(int(s["leadId"]), s["status"]) for s in answer["result"]["syncStatusList"]["syncStatus"]]

    def synced(self, answer):
        result = answer["result"]
        return int(result["leadId"]), result["syncStatus"]["status"], result.get("leadRecord")

    def leads(self, answer):
        result = answer["result"]
        records = (result.get("leadRecordList") or {}).get("leadRecord") or []
        return int(result["count"]), [(int(r["Id"]), r["Email"], self.attributes(r)) for r in records]

    def activity_page(self, answer):
        page = answer["leadActivityList"]
        records = (page.get("activityRecordList") or {}).get("activityRecord") or []
        return (
            int(page["returnCount"]),
            int(page["remainingCount"]),
            page["newStartPosition"],
            [(int(r["id"]), r["activityType"], self.attributes(r, "activityAttributes")) for r in records],
        )


class NoWsdlCalls:
    """SoapClient(location=…, action=…, namespace=…, ns=…): the params element as the method."""

    def __init__(self, url, user_id, key):
        self.url, self.user_id, self.key = url, user_id, key
        self.client = self.new_client()

    def new_client(self):
        return SoapClient(location=self.url, action=MKTOWS, namespace=MKTOWS, soap_ns="soap", ns="ns1")

    def call(self, operation, context=None, **params):
        # A header set stays on every later call: the workspace goes on a client of its own.
        client = self.client if context is None else self.new_client()
        client["AuthenticationHeader"] = signed(self.user_id, self.key)
        if context is not None:
            client["MktowsContextHeader"] = {"targetWorkspace": context}
        self.last = client
        return client.call("params" + operation[0].upper() + operation[1:], **params)

    @staticmethod
    def each(element, name):
        found = element(name, error=False) if element is not None else None
        return list(found) if found else []

    @staticmethod
    def text(element, name):
        found = element(name, error=False)
        return None if found is None else str(found)

    def attributes(self, record, list_name="leadAttributeList"):
        listed = record(list_name, error=False)
        return {str(a.attrName): str(a.attrValue) for a in self.each(listed, "attribute")}

    def sync_statuses(self, answer):
        return [(int(s.leadId), str(s.status)) for s in self.each(answer.result.syncStatusList, "syncStatus")]

    def synced(self, answer):
        result = answer.result
        record = result("leadRecord", error=False)
        return int(result.leadId), str(result.syncStatus.status), record

    def leads(self, answer):
        result = answer.result
        records = self.each(result("leadRecordList", error=False), "leadRecord")
        return int(result("count")), [(int(r.Id), self.text(r, "Email"), self.attributes(r)) for r in records]

    def activity_page(self, answer):
        page = answer.leadActivityList
        records = self.each(page("activityRecordList", error=False), "activityRecord")
        return (
            int(page.returnCount),
            int(page.remainingCount),
            page.newStartPosition,
            [(int(r("id")), str(r.activityType), self.attributes(r, "activityAttributes")) for r in records],
        )


def main(wsdl_url, user_id, key, mode="wsdl"):
    if mode == "wsdl":
        calls = WsdlCalls(wsdl_url, user_id, key)
    else:
        calls = NoWsdlCalls(wsdl_url.split("?")[0], user_id, key)
    run = datetime.datetime.now().strftime("%H%M%S") + str(os.getpid())
    ann, bob = f"ann.{run}@example.com", f"bob.{run}@example.com"
    out = {"client": f"pysimplesoap {pysimplesoap.__version__} ({mode})"}

    def record(email=None, lead_id=None, **attrs):
        r = {}
        if lead_id is not None:
            r["Id"] = lead_id
        if email is not None:
            r["Email"] = email
        if attrs:
            r["leadAttributeList"] = repeated(
                "attribute", [{"attrName": k, "attrValue": v} for k, v in attrs.items()], mode == "wsdl"
            )
        return r

    def leads_by_email(email):
        count, found = calls.leads(calls.call("getLead", leadKey={"keyType": "EMAIL", "keyValue": email}))
        leads = [
            {"id": i, "email": e, "unsubscribed": a.get("Unsubscribed"), "firstName": a.get("FirstName")}
            for i, e, a in found
        ]
        return {"count": count, "leads": sorted(leads, key=lambda lead: lead["id"])}

    def activities(lead_id, batch, position=None):
        params = {"leadKey": {"keyType": "IDNUM", "keyValue": str(lead_id)}}
        if position is not None:
            params["startPosition"] = position
        params["batchSize"] = batch
        returned, remaining, new_position, records = calls.activity_page(calls.call("getLeadActivity", **params))
        return {"returnCount": returned, "remainingCount": remaining, "newStartPosition": new_position, "records": records}

    def unsubscribe_change(page):
        for _, activity_type, a in page["records"]:
            if activity_type == "Change Data Value" and a.get("Attribute Name") == "Unsubscribed":
                return {"oldValue": a.get("Old Value"), "newValue": a.get("New Value"), "reason": a.get("Reason")}
        return None

    # 1. syncMultipleLeads: two people and a record with an attribute nobody has.
    batch = calls.call(
        "syncMultipleLeads",
        leadRecordList=repeated(
            "leadRecord",
            [record(ann, FirstName="Ann"), record(bob, FirstName="Bob"), record(f"bad.{run}@example.com", NoSuchField="x")],
            mode == "wsdl",
        ),
        dedupEnabled=True,
    )
    out["batch"] = [{"leadId": i, "status": s} for i, s in calls.sync_statuses(batch)]

    # 2. syncLead: the same address, other case and spaces, a foreign id, in partition East.
    east_record = {"Email": f" {ann.upper()} ", "ForeignSysPersonId": f"legacy-{run}"}
    east_id, east_status, _ = calls.synced(calls.call("syncLead", context="East", leadRecord=east_record, returnLead=False))
    out["east"] = {"leadId": east_id, "status": east_status}

    out["before"] = leads_by_email(ann)

    # 3. syncLead: unsubscribe Ann by her Id, the record returned.
    a_id = out["batch"][0]["leadId"]
    unsub_id, unsub_status, returned = calls.synced(
        calls.call("syncLead", leadRecord=record(lead_id=a_id, Unsubscribed="true"), returnLead=True)
    )
    out["unsubscribe"] = {
        "leadId": unsub_id,
        "status": unsub_status,
        "returned": calls.attributes(returned).get("Unsubscribed"),
    }

    out["after"] = leads_by_email(ann)
    out["bob"] = leads_by_email(bob)

    # 4. getLeadActivity: each person's Unsubscribed change; Ann's history a page at a time,
    # the second page from the newStartPosition as pysimplesoap read it.
    out["change"] = {"a": unsubscribe_change(activities(a_id, 100)), "east": unsubscribe_change(activities(east_id, 100))}
    first = activities(a_id, 1)
    position = first["newStartPosition"]
    if mode != "wsdl":
        # SimpleXMLElement gives the element: its members go back as text, as read.
        position = {m.get_name(): str(m) for m in position.children() or [] if str(m) != ""}
    second = activities(a_id, 1, position)
    out["pages"] = [
        {
            "returnCount": p["returnCount"],
            "remainingCount": p["remainingCount"],
            "ids": [r[0] for r in p["records"]],
            "types": [r[1] for r in p["records"]],
        }
        for p in (first, second)
    ]

    # 5. A fault: getLead of an address nobody has.
    try:
        calls.call("getLead", leadKey={"keyType": "EMAIL", "keyValue": f"nobody.{run}@example.com"})
        out["fault"] = None
    except (SoapFault, RuntimeError) as error:
        out["fault"] = fault_of(getattr(calls, "last", calls.client) if mode != "wsdl" else calls.client, error)
    print(json.dumps(out, sort_keys=True, default=str))


if __name__ == "__main__":
    main(*sys.argv[1:5])
