#!/usr/bin/python3
"""The worked example of the durable-unsubscribe spec, run by Python zeep (strict mode).

    /usr/bin/python3 zeep_worked_example.py WSDL_URL USER_ID ENCRYPTION_KEY

Prints one JSON line (the shape of WorkedExampleRun in test/interop/worked-example.ts), or
exits non-zero with a message. Signing and client set-up come from examples/python.
"""

import json
import os
import sys

sys.path.insert(
    0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "examples", "python")
)

import zeep  # noqa: E402

from mktows_client import attribute, authentication, connect, fault_code  # noqa: E402


class WorkedExample:
    def __init__(self, wsdl_url, user_id, encryption_key):
        self.service = connect(wsdl_url).service
        self.user_id = user_id
        self.key = encryption_key

    def headers(self, **extra):
        return {"authentication": authentication(self.user_id, self.key), **extra}

    @staticmethod
    def outcome(sync_status):
        return {"leadId": sync_status["leadId"], "status": sync_status["status"]}

    def sync_lead(self, record, workspace=None):
        extra = {"mktowsContext": {"targetWorkspace": workspace}} if workspace else {}
        result = self.service.syncLead(
            leadRecord=record, returnLead=False, _soapheaders=self.headers(**extra)
        )
        assert result["leadId"] == result["syncStatus"]["leadId"], result
        return self.outcome(result["syncStatus"])

    def lead(self, lead_id):
        result = self.service.getLead(
            leadKey={"keyType": "IDNUM", "keyValue": str(lead_id)}, _soapheaders=self.headers()
        )
        records = result["leadRecordList"]["leadRecord"]
        if result["count"] != 1 or len(records) != 1:
            raise RuntimeError(f"getLead IDNUM {lead_id} returned {result['count']} leads")
        return records[0]

    def unsubscribed(self, lead_id):
        return attribute(self.lead(lead_id), "Unsubscribed")

    def unsubscribe_change(self, lead_id):
        """The newest Change Data Value activity of the lead that changed Unsubscribed."""
        page = self.service.getLeadActivity(
            leadKey={"keyType": "IDNUM", "keyValue": str(lead_id)},
            activityFilter={"includeTypes": {"activityType": ["ChangeDataValue"]}},
            batchSize=100,
            _soapheaders=self.headers(),
        )
        records = page["activityRecordList"]["activityRecord"] if page["activityRecordList"] else []
        for record in records:  # newest first
            attrs = {a["attrName"]: a["attrValue"] for a in record["activityAttributes"]["attribute"]}
            if attrs.get("Attribute Name") == "Unsubscribed":
                return {
                    "activityType": record["activityType"],
                    "oldValue": attrs.get("Old Value"),
                    "newValue": attrs.get("New Value"),
                    "reason": attrs.get("Reason"),
                }
        return None

    @staticmethod
    def unsubscribed_attr(value):
        return {"attribute": [{"attrName": "Unsubscribed", "attrType": "boolean", "attrValue": value}]}

    def run(self):
        out = {"client": "zeep " + zeep.__version__}

        # 1. A in the default partition; B with a foreign id (so Email does not match A) in East.
        a = self.sync_lead({"Email": "ann@example.com"})
        b = self.sync_lead(
            {"Email": "ANN@Example.com ", "ForeignSysPersonId": "interop-zeep-B"}, workspace="East"
        )
        A, B = a["leadId"], b["leadId"]
        out["step1"] = {
            "a": a,
            "b": b,
            "unsubscribed": {"a": self.unsubscribed(A), "b": self.unsubscribed(B)},
        }

        # 2. Unsubscribe A.
        sync = self.sync_lead({"Id": A, "leadAttributeList": self.unsubscribed_attr("true")})
        out["step2"] = {
            "sync": sync,
            "unsubscribed": {"a": self.unsubscribed(A), "b": self.unsubscribed(B)},
            "change": {"a": self.unsubscribe_change(A), "b": self.unsubscribe_change(B)},
        }

        # 3. Delete A (extension operation); create C with the same address, Unsubscribed=false.
        deleted = self.service.deleteLead(
            leadKey={"keyType": "IDNUM", "keyValue": str(A)}, _soapheaders=self.headers()
        )
        multi = self.service.syncMultipleLeads(
            leadRecordList={
                "leadRecord": [
                    {"Email": "ann@example.com", "leadAttributeList": self.unsubscribed_attr("false")}
                ]
            },
            dedupEnabled=False,
            _soapheaders=self.headers(),
        )
        # zeep unwraps the single-member chain successSyncMultipleLeads/result/syncStatusList.
        statuses = multi["syncStatus"]
        assert len(statuses) == 1, statuses
        c = self.outcome(statuses[0])
        C = c["leadId"]
        out["step3"] = {
            "deleted": {
                "count": deleted["count"],
                "leadIds": list(deleted["leadIdList"]["leadId"]),
            },
            "c": c,
            "unsubscribed": {"c": self.unsubscribed(C)},
            "change": {"c": self.unsubscribe_change(C)},
        }

        # 4. C to an address never seen, then back.
        to_carl = self.sync_lead({"Id": C, "Email": "carl@example.com"})
        c_lead = self.lead(C)
        step4 = {
            "toCarl": {
                "sync": to_carl,
                "c": attribute(c_lead, "Unsubscribed"),
                "cEmail": c_lead["Email"],
                "b": self.unsubscribed(B),
            }
        }
        back = self.sync_lead({"Id": C, "Email": "ann@example.com"})
        c_lead = self.lead(C)
        step4["back"] = {"sync": back, "c": attribute(c_lead, "Unsubscribed"), "cEmail": c_lead["Email"]}
        out["step4"] = step4

        # 5. Re-subscribe B.
        sync = self.sync_lead({"Id": B, "leadAttributeList": self.unsubscribed_attr("false")})
        out["step5"] = {
            "sync": sync,
            "unsubscribed": {"b": self.unsubscribed(B), "c": self.unsubscribed(C)},
            "change": {"c": self.unsubscribe_change(C)},
        }

        # 6. Every lead of the address, however it is spelled.
        found = self.service.getLead(
            leadKey={"keyType": "EMAIL", "keyValue": "Ann@EXAMPLE.com"}, _soapheaders=self.headers()
        )
        out["step6"] = {
            "count": found["count"],
            "leads": [
                {"id": r["Id"], "email": r["Email"], "unsubscribed": attribute(r, "Unsubscribed")}
                for r in found["leadRecordList"]["leadRecord"]
            ],
        }

        # A fault reaches zeep as zeep.exceptions.Fault.
        try:
            self.service.getLead(
                leadKey={"keyType": "EMAIL", "keyValue": "nobody@example.com"},
                _soapheaders=self.headers(),
            )
            raise RuntimeError("getLead of an unknown address did not fault")
        except zeep.exceptions.Fault as fault:
            out["fault"] = {
                "faultcode": fault.code,
                "faultstring": fault.message,
                "code": fault_code(fault),
            }
        return out


def main():
    if len(sys.argv) != 4:
        sys.exit(f"usage: {sys.argv[0]} WSDL_URL USER_ID ENCRYPTION_KEY")
    try:
        report = WorkedExample(*sys.argv[1:]).run()
    except zeep.exceptions.Fault as fault:
        sys.exit(f"unexpected SOAP fault: {fault.code} {fault.message} (code {fault_code(fault)})")
    except Exception as error:  # report anything else as a failure with its message
        sys.exit(f"worked example failed: {type(error).__name__}: {error}")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
