#!/usr/bin/env python3
"""Create or update a lead, then read it back by email.

    python3 quickstart.py https://mktows.example.com/soap/mktows/2_9?WSDL USER_ID ENCRYPTION_KEY ann@example.com

Needs zeep: python3 -m pip install zeep (or, on Debian/Ubuntu: apt install python3-zeep).
"""

import sys

try:
    import zeep
except ImportError:
    sys.exit("error: needs zeep: python3 -m pip install zeep (or: apt install python3-zeep)")

from mktows_client import attribute, authentication, connect, fault_code


def main(wsdl_url, user_id, encryption_key, email):
    client = connect(wsdl_url)
    service = client.service

    # syncLead: with only Email as key, the lead with that address is updated (or created).
    result = service.syncLead(
        leadRecord={
            "Email": email,
            "leadAttributeList": {
                "attribute": [
                    {"attrName": "FirstName", "attrType": "string", "attrValue": "Ann"},
                    {"attrName": "Company", "attrType": "string", "attrValue": "Example Inc."},
                ]
            },
        },
        returnLead=False,
        _soapheaders={"authentication": authentication(user_id, encryption_key)},
    )
    print(f"syncLead: lead {result['leadId']} {result['syncStatus']['status']}")

    # getLead by EMAIL returns every lead with that address.
    try:
        found = service.getLead(
            leadKey={"keyType": "EMAIL", "keyValue": email},
            _soapheaders={"authentication": authentication(user_id, encryption_key)},
        )
    except zeep.exceptions.Fault as fault:
        print(f"getLead failed: {fault.message} (code {fault_code(fault)})", file=sys.stderr)
        return 1
    print(f"getLead: {found['count']} lead(s)")
    for lead in found["leadRecordList"]["leadRecord"]:
        print(
            f"  lead {lead['Id']} <{lead['Email']}> FirstName={attribute(lead, 'FirstName')}"
            f" Unsubscribed={attribute(lead, 'Unsubscribed')}"
        )
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(f"usage: {sys.argv[0]} WSDL_URL USER_ID ENCRYPTION_KEY EMAIL")
    try:
        sys.exit(main(*sys.argv[1:]))
    except zeep.exceptions.Fault as fault:
        # One line, not a traceback: a wrong key is the commonest first mistake.
        hint = ": check the user id and encryption key" if fault_code(fault) == "20014" else ""
        sys.exit(f"error: {fault.message} (code {fault_code(fault)}){hint}")
    except (OSError, zeep.exceptions.Error) as error:
        sys.exit(f"error: cannot use {sys.argv[1]}: {error}")
