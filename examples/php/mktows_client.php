<?php
/**
 * A small helper for calling the mktows SOAP API with PHP's SoapClient (ext-soap).
 *
 *   $client = mktows_client('https://mktows.example.com/soap/mktows/2_9?WSDL');
 *   $client->__setSoapHeaders([mktows_authentication('my_user_id', 'MY-ENCRYPTION-KEY')]);
 *   $found = $client->getLead(['leadKey' => ['keyType' => 'EMAIL', 'keyValue' => 'ann@example.com']]);
 *
 * Every call carries an AuthenticationHeader signed with the user's encryption key:
 * requestSignature = lowercase hex HMAC-SHA1(key, requestTimestamp . mktowsUserId), where
 * requestTimestamp is a W3C date-time with an offset (e.g. 2013-06-09T14:04:54-08:00). The server
 * refuses timestamps too far from its clock, so set a fresh header before every call.
 */

const MKTOWS_NS = 'http://www.marketo.com/mktows/';

/** The current time as a W3C date-time with a numeric offset (DATE_ATOM: 2013-06-09T14:04:54-08:00). */
function mktows_request_timestamp(): string
{
    return (new DateTimeImmutable('now'))->format(DATE_ATOM);
}

/** Lowercase hex HMAC-SHA1 of timestamp . user id, keyed with the encryption key. */
function mktows_request_signature(string $encryptionKey, string $timestamp, string $userId): string
{
    return hash_hmac('sha1', $timestamp . $userId, $encryptionKey);
}

/** A freshly signed AuthenticationHeader. */
function mktows_authentication(string $userId, string $encryptionKey): SoapHeader
{
    $timestamp = mktows_request_timestamp();
    return new SoapHeader(MKTOWS_NS, 'AuthenticationHeader', [
        'mktowsUserId' => $userId,
        'requestSignature' => mktows_request_signature($encryptionKey, $timestamp, $userId),
        'requestTimestamp' => $timestamp,
    ]);
}

/** The MktowsContextHeader of syncLead: the workspace (partition) new leads go to. */
function mktows_context(string $targetWorkspace): SoapHeader
{
    return new SoapHeader(MKTOWS_NS, 'MktowsContextHeader', ['targetWorkspace' => $targetWorkspace]);
}

/**
 * A SoapClient for the service's WSDL. SOAP_SINGLE_ELEMENT_ARRAYS makes every repeated element
 * (leadRecord, attribute, syncStatus, …) an array, even when the answer holds only one.
 */
function mktows_client(string $wsdlUrl): SoapClient
{
    return new SoapClient($wsdlUrl, [
        'soap_version' => SOAP_1_1,
        'features' => SOAP_SINGLE_ELEMENT_ARRAYS,
        'cache_wsdl' => WSDL_CACHE_NONE,
        'exceptions' => true,
        'trace' => true,
    ]);
}

/** The value of a lead attribute (e.g. "Unsubscribed") in a LeadRecord, or null. */
function mktows_attribute(object $leadRecord, string $name): ?string
{
    foreach ($leadRecord->leadAttributeList->attribute ?? [] as $attribute) {
        if ($attribute->attrName === $name) {
            return $attribute->attrValue;
        }
    }
    return null;
}

/** The vendor error code (e.g. "20103") in a SoapFault's detail, or null. */
function mktows_fault_code(SoapFault $fault): ?string
{
    $code = $fault->detail->serviceException->code ?? null;
    return $code === null ? null : (string) $code;
}
