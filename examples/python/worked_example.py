#!/usr/bin/env python3
"""The durable unsubscribe, seen from a client: two people share one address, one of them
unsubscribes, the other follows, and the activity log says why.

    python3 worked_example.py http://localhost:8080/soap/mktows/2_9?WSDL USER_ID ENCRYPTION_KEY [EMAIL]

Needs zeep: python3 -m pip install zeep (or, on Debian/Ubuntu: apt install python3-zeep).
"""

import sys
import uuid

try:
    import zeep
except ImportError:
    sys.exit("error: needs zeep: python3 -m pip install zeep (or: apt install python3-zeep)")

from mktows_client import attribute, authentication, connect, fault_code


class Example:
    def __init__(self, wsdl_url, user_id, encryption_key):
        self.service = connect(wsdl_url).service
        self.user_id = user_id
        self.key = encryption_key

    def headers(self, workspace=None):
        headers = {"authentication": authentication(self.user_id, self.key)}
        if workspace:
            headers["mktowsContext"] = {"targetWorkspace": workspace}
        return headers

    def sync(self, record, workspace=None):
        result = self.service.syncLead(
            leadRecord=record, returnLead=False, _soapheaders=self.headers(workspace)
        )
        return result["leadId"], result["syncStatus"]["status"]

    def unsubscribed(self, lead_id):
        found = self.service.getLead(
            leadKey={"keyType": "IDNUM", "keyValue": str(lead_id)}, _soapheaders=self.headers()
        )
        # Booleans travel as the vendor sent them, 1 or 0 (older answers: true or false).
        value = attribute(found["leadRecordList"]["leadRecord"][0], "Unsubscribed")
        return "true" if str(value).lower() in ("1", "true") else "false"

    def last_unsubscribe_change(self, lead_id):
        page = self.service.getLeadActivity(
            leadKey={"keyType": "IDNUM", "keyValue": str(lead_id)},
            activityFilter={"includeTypes": {"activityType": ["ChangeDataValue"]}},
            batchSize=20,
            _soapheaders=self.headers(),
        )
        records = page["activityRecordList"]["activityRecord"] if page["activityRecordList"] else []
        for record in records:  # newest first
            attrs = {a["attrName"]: a["attrValue"] for a in record["activityAttributes"]["attribute"]}
            if attrs.get("Attribute Name") == "Unsubscribed":
                return record["activityDateTime"], attrs
        return None, {}


def unsubscribed_attr(value):
    return {"attribute": [{"attrName": "Unsubscribed", "attrType": "boolean", "attrValue": value}]}


def run(example, email):
    # 1. Two people with one address: A in the default partition, B in "East" (B's own
    #    foreign id keeps syncLead from matching A by email).
    a, a_status = example.sync({"Email": email})
    b, b_status = example.sync(
        {"Email": email.upper(), "ForeignSysPersonId": f"worked-example-{uuid.uuid4().hex[:12]}"},
        workspace="East",
    )
    print(f"1. A is lead {a} ({a_status}), B is lead {b} ({b_status}), both <{email}>")
    a_unsubscribed = example.unsubscribed(a)
    print(f"   Unsubscribed: A={a_unsubscribed} B={example.unsubscribed(b)}")
    if a_unsubscribed == "true":
        # Nothing would follow: the address kept the unsubscribe of an earlier run.
        sys.exit(
            f"error: {email} is unsubscribed already (an earlier run?): "
            "run again with an address not used before"
        )

    # 2. A unsubscribes, through syncLead as any integration would send it.
    example.sync({"Id": a, "leadAttributeList": unsubscribed_attr("true")})
    print("2. A unsubscribes")
    print(f"   Unsubscribed: A={example.unsubscribed(a)} B={example.unsubscribed(b)}  (B followed)")

    # 3. B's activity log says why its flag changed.
    when, change = example.last_unsubscribe_change(b)
    when = when.isoformat() if hasattr(when, "isoformat") else when
    print(
        f"3. B's activity at {when}: Unsubscribed {change.get('Old Value')} -> "
        f"{change.get('New Value')}, reason: {change.get('Reason')}"
    )


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(f"usage: {sys.argv[0]} WSDL_URL USER_ID ENCRYPTION_KEY [EMAIL]")
    email = sys.argv[4] if len(sys.argv) == 5 else "ann@example.com"
    try:
        run(Example(*sys.argv[1:4]), email)
    except zeep.exceptions.Fault as fault:
        hint = ": check the user id and encryption key" if fault_code(fault) == "20014" else ""
        sys.exit(f"error: {fault.message} (code {fault_code(fault)}){hint}")
    except (OSError, zeep.exceptions.Error) as error:
        sys.exit(f"error: cannot use {sys.argv[1]}: {error}")


if __name__ == "__main__":
    main()
