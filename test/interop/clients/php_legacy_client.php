<?php
/**
 * How PHP client classes written years ago against the vendor's API use it: a SoapClient on
 * the ?WSDL, every attribute value cast with settype() by its attrType (types PHP has no name
 * for stay strings), and vendor operations the service does not serve called all the same.
 *
 *   php php_legacy_client.php WSDL_URL USER_ID ENCRYPTION_KEY
 *
 * Prints one JSON line: what a subscribed and an unsubscribed lead read as after the cast, and
 * the fault an unserved operation raised.
 */

require_once __DIR__ . '/php_client_setup.php';

[$script, $wsdlUrl, $userId, $key] = $argv;
$client = mktows_client($wsdlUrl);
$call = mktows_signed_calls($client, $userId, $key);

/** The lead's attributes as the old client classes kept them: cast by attrType. */
function typed(object $lead): array
{
    $out = [];
    foreach ($lead->leadAttributeList->attribute ?? [] as $attribute) {
        $value = $attribute->attrValue;
        $type = $attribute->attrType ?? 'string';
        settype($value, in_array($type, ['boolean', 'integer', 'float', 'string'], true) ? $type : 'string');
        $out[$attribute->attrName] = $value;
    }
    return $out;
}

$read = function (string $email, string $unsubscribed) use ($call): array {
    $call('syncLead', [
        'leadRecord' => [
            'Email' => $email,
            'leadAttributeList' => ['attribute' => [
                ['attrName' => 'Unsubscribed', 'attrType' => 'boolean', 'attrValue' => $unsubscribed],
                ['attrName' => 'LeadScore', 'attrType' => 'integer', 'attrValue' => '42'],
            ]],
        ],
        'returnLead' => false,
    ]);
    $found = $call('getLead', ['leadKey' => ['keyType' => 'EMAIL', 'keyValue' => $email]]);
    return typed($found->result->leadRecordList->leadRecord[0]);
};

$subscribed = $read('php-cast-sub@example.com', 'false');
$unsubscribed = $read('php-cast-unsub@example.com', 'true');

// Client classes as integrations of the vendor era declared them, one property per member
// (LeadRecord from php_client_setup.php): a sync whose returnLead is never set goes out as
// <returnLead/>, which the vendor synced.
class ParamsSyncLead
{
    public $leadRecord;
    public $returnLead;
    public $marketoCookie;
}
$record = new LeadRecord();
$record->Email = 'php-unset-return-lead@example.com';
$params = new ParamsSyncLead();
$params->leadRecord = $record;
try {
    $synced = $call('syncLead', $params)->result;
    $unsetReturnLead = [
        'sent' => preg_match('#<returnLead[ />]#', $client->__getLastRequest()) === 1,
        'status' => $synced->syncStatus->status,
        'leadRecord' => $synced->leadRecord,
    ];
} catch (SoapFault $f) {
    $unsetReturnLead = ['fault' => $f->getMessage()];
}

$fault = null;
try {
    $call('getCampaignsForSource', ['source' => 'MKTOWS', 'name' => 'Welcome']);
} catch (SoapFault $f) {
    $fault = ['code' => mktows_fault_code($f), 'message' => (string) $f->detail->serviceException->message];
}

echo json_encode([
    'functions' => count($client->__getFunctions()),
    'subscribed' => ['Unsubscribed' => $subscribed['Unsubscribed'], 'LeadScore' => $subscribed['LeadScore']],
    'unsubscribed' => ['Unsubscribed' => $unsubscribed['Unsubscribed']],
    'unserved' => $fault,
    'unsetReturnLead' => $unsetReturnLead,
]), "\n";
