"""A small helper for calling the mktows SOAP API with zeep (https://docs.python-zeep.org).

    client = connect("https://mktows.example.com/soap/mktows/2_9?WSDL")
    client.service.getLead(
        leadKey={"keyType": "EMAIL", "keyValue": "ann@example.com"},
        _soapheaders={"authentication": authentication("my_user_id", "MY-ENCRYPTION-KEY")},
    )

Every call carries an AuthenticationHeader signed with the user's encryption key:
requestSignature = lowercase hex HMAC-SHA1(key, requestTimestamp + mktowsUserId), where
requestTimestamp is a W3C date-time with an offset (e.g. 2013-06-09T14:04:54-08:00). The server
refuses timestamps too far from its clock, so make a fresh header for every call.
"""

import datetime
import hashlib
import hmac

import zeep

NAMESPACE = "http://www.marketo.com/mktows/"


def request_timestamp(now=None):
    """The current time as a W3C date-time with a numeric offset, to the second."""
    now = now or datetime.datetime.now(datetime.timezone.utc).astimezone()
    return now.isoformat(timespec="seconds")


def request_signature(encryption_key, timestamp, user_id):
    """Lowercase hex HMAC-SHA1 of timestamp + user id, keyed with the encryption key."""
    message = (timestamp + user_id).encode("utf-8")
    return hmac.new(encryption_key.encode("utf-8"), message, hashlib.sha1).hexdigest()


def authentication(user_id, encryption_key):
    """A freshly signed AuthenticationHeader, for _soapheaders={"authentication": ...}."""
    timestamp = request_timestamp()
    return {
        "mktowsUserId": user_id,
        "requestSignature": request_signature(encryption_key, timestamp, user_id),
        "requestTimestamp": timestamp,
    }


def connect(wsdl_url):
    """A zeep client for the service's WSDL (strict parsing, as zeep does by default)."""
    return zeep.Client(wsdl_url, settings=zeep.Settings(strict=True))


def attribute(lead_record, name):
    """The value of a lead attribute (e.g. "Unsubscribed") in a LeadRecord, or None."""
    attributes = lead_record["leadAttributeList"]
    for attr in (attributes["attribute"] if attributes is not None else []):
        if attr["attrName"] == name:
            return attr["attrValue"]
    return None


def fault_code(fault):
    """The vendor error code (e.g. "20103") in a zeep.exceptions.Fault's detail, or None."""
    if fault.detail is None:
        return None
    code = fault.detail.find(".//{%s}serviceException/code" % NAMESPACE)
    return code.text if code is not None else None
