#!/usr/bin/python3
"""An mktows integration as scripts without a SOAP toolkit wrote it: the request XML of the
vendor's documentation filled in as text and posted with urllib, the answer read with
xml.dom.minidom by tag name, prefix included (`ns1:successGetLead`, `SOAP-ENV:Fault`,
`ns1:serviceException`), as the vendor's sample answers spell them. minidom matches the name
as written, prefix and all: an answer in another prefix reads as no answer.

    /usr/bin/python3 minidom_client.py ENDPOINT USER_ID ENCRYPTION_KEY EMAIL

Prints one JSON line of what it read.
"""

import datetime
import hashlib
import hmac
import json
import sys
import urllib.error
import urllib.request
from xml.dom import minidom
from xml.sax.saxutils import escape

ENVELOPE = """<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="http://www.marketo.com/mktows/">
  <SOAP-ENV:Header>
    <ns1:AuthenticationHeader>
      <mktowsUserId>{user}</mktowsUserId>
      <requestSignature>{signature}</requestSignature>
      <requestTimestamp>{timestamp}</requestTimestamp>
    </ns1:AuthenticationHeader>
  </SOAP-ENV:Header>
  <SOAP-ENV:Body>
    {body}
  </SOAP-ENV:Body>
</SOAP-ENV:Envelope>"""

GET_LEAD = """<ns1:paramsGetLead>
      <leadKey>
        <keyType>EMAIL</keyType>
        <keyValue>{email}</keyValue>
      </leadKey>
    </ns1:paramsGetLead>"""

SYNC_LEAD = """<ns1:paramsSyncLead>
      <leadRecord>
        <Email>{email}</Email>
        <leadAttributeList>
          <attribute>
            <attrName>{name}</attrName>
            <attrValue>{value}</attrValue>
          </attribute>
        </leadAttributeList>
      </leadRecord>
      <returnLead>false</returnLead>
    </ns1:paramsSyncLead>"""


def text(parent, name):
    """The text of the first element `name` (as written, prefix and all) under `parent`."""
    found = parent.getElementsByTagName(name)
    if not found or found[0].firstChild is None:
        return None
    return found[0].firstChild.data


def call(endpoint, user, key, body, signature=None):
    timestamp = datetime.datetime.now(datetime.timezone.utc).astimezone().isoformat(timespec="seconds")
    signed = hmac.new(key.encode(), (timestamp + user).encode(), hashlib.sha1).hexdigest()
    xml = ENVELOPE.format(user=user, signature=signature or signed, timestamp=timestamp, body=body)
    request = urllib.request.Request(
        endpoint,
        data=xml.encode("utf-8"),
        headers={"Content-Type": "text/xml;charset=UTF-8", "SOAPAction": ""},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, minidom.parseString(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, minidom.parseString(error.read())


def fault(dom):
    """faultcode, faultstring and the serviceException's code, or None when there is no fault."""
    found = dom.getElementsByTagName("SOAP-ENV:Fault")
    if not found:
        return None
    exception = found[0].getElementsByTagName("ns1:serviceException")
    return {
        "faultcode": text(found[0], "faultcode"),
        "faultstring": text(found[0], "faultstring"),
        "code": text(exception[0], "code") if exception else None,
    }


def main(endpoint, user, key, email):
    out = {}

    def sync(label, name, value):
        status, dom = call(endpoint, user, key, SYNC_LEAD.format(email=escape(email), name=name, value=value))
        answer = dom.getElementsByTagName("ns1:successSyncLead")
        out[label] = {
            "http": status,
            "found": len(answer),
            "status": text(answer[0], "status") if answer else None,
            "fault": fault(dom),
        }

    def get(label):
        status, dom = call(endpoint, user, key, GET_LEAD.format(email=escape(email)))
        answer = dom.getElementsByTagName("ns1:successGetLead")
        leads = []
        for lead in answer[0].getElementsByTagName("leadRecord") if answer else []:
            attributes = {
                text(a, "attrName"): text(a, "attrValue") for a in lead.getElementsByTagName("attribute")
            }
            leads.append({"email": text(lead, "Email"), "unsubscribed": attributes.get("Unsubscribed")})
        out[label] = {
            "http": status,
            "found": len(answer),
            "count": text(answer[0], "count") if answer else None,
            "leads": leads,
            "fault": fault(dom),
        }

    sync("created", "FirstName", "Ann")
    get("before")
    sync("unsubscribed", "Unsubscribed", "true")
    get("after")
    status, dom = call(endpoint, user, key, GET_LEAD.format(email=escape(email)), signature="0" * 40)
    out["wrongSignature"] = {"http": status, "fault": fault(dom)}
    print(json.dumps(out))


if __name__ == "__main__":
    main(*sys.argv[1:5])
