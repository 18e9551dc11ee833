<?php
/**
 * The served operations nusoap_client.php does not call, as NuSOAP integrations called them
 * from the live ?WSDL (new nusoap_client($wsdlUrl, true), parameters under the part's name, the
 * header as an XML string):
 *
 *   php nusoap_operations.php WSDL_URL USER_ID ENCRYPTION_KEY
 *
 * The abstract leadSelector as a soapval naming its type (NuSOAP writes that xsi:type, then the
 * derived type's members), positions passed back as NuSOAP read them, and text outside ASCII
 * both ways its users sent it: at NuSOAP's defaults (ISO-8859-1 strings, answers decoded to
 * ISO-8859-1) and with soap_defencoding UTF-8 and decode_utf8 off. Prints one JSON object
 * (test/interop/nusoap.test.ts checks it).
 */

require_once __DIR__ . '/nusoap_loader.php';

const MKTOWS = 'http://www.marketo.com/mktows/';

[$script, $wsdlUrl, $userId, $key] = $argv;

function header_xml(string $userId, string $key): string
{
    $timestamp = date(DATE_W3C);
    $signature = hash_hmac('sha1', $timestamp . $userId, $key);
    return '<ns1:AuthenticationHeader xmlns:ns1="' . MKTOWS . '">'
        . "<mktowsUserId>$userId</mktowsUserId><requestSignature>$signature</requestSignature>"
        . "<requestTimestamp>$timestamp</requestTimestamp></ns1:AuthenticationHeader>";
}

function all_of($value): array
{
    if ($value === null || $value === '' || $value === false) {
        return [];
    }
    return (is_array($value) && array_key_exists(0, $value)) ? $value : [$value];
}

$client = new nusoap_client($wsdlUrl, true);
$call = function (string $operation, array $params) use ($client, $userId, $key) {
    $client->setHeaders(header_xml($userId, $key));
    $result = $client->call($operation, ['params' . ucfirst($operation) => $params]);
    if ($client->fault || $client->getError()) {
        throw new Exception("$operation: " . $client->getError() . "\n" . $client->request . "\n" . $client->response);
    }
    return reset($result);
};

$run = date('His') . getmypid();
$emails = array_map(fn ($n) => "nusoap-ops-$n-$run@example.com", [1, 2, 3]);
$batch = $call('syncMultipleLeads', [
    'leadRecordList' => ['leadRecord' => array_map(fn ($e) => ['Email' => $e], $emails)],
    'dedupEnabled' => true,
]);
$ids = array_map(fn ($s) => (int) $s['leadId'], all_of($batch['syncStatusList']['syncStatus']));
$out = ['ids' => $ids];

// getMultipleLeads by a LeadKeySelector, two a page, the position passed back as read.
$selector = fn () => new soapval('leadSelector', 'LeadKeySelector', [
    'keyType' => 'EMAIL',
    'keyValues' => ['stringItem' => $emails],
], false, MKTOWS);
$first = $call('getMultipleLeads', ['leadSelector' => $selector(), 'batchSize' => 2]);
$second = $call('getMultipleLeads', [
    'leadSelector' => $selector(),
    'streamPosition' => $first['newStreamPosition'],
    'batchSize' => 2,
]);
$out['getMultipleLeadsByKeys'] = [
    (int) $first['returnCount'], (int) $first['remainingCount'],
    (int) $second['returnCount'], (int) $second['remainingCount'],
];
$since = new soapval('leadSelector', 'LastUpdateAtSelector', ['oldestUpdatedAt' => '2000-01-01T00:00:00+00:00'], false, MKTOWS);
$out['getMultipleLeadsByUpdate'] = (int) $call('getMultipleLeads', ['leadSelector' => $since, 'batchSize' => 100])['returnCount'];

// getLeadChanges: New Lead only, five a page, the newStartPosition passed back as read.
$position = ['oldestCreatedAt' => date(DATE_W3C, time() - 3600)];
$people = [];
for ($i = 0; $i < 50; $i++) {
    $page = $call('getLeadChanges', [
        'startPosition' => $position,
        'activityFilter' => ['includeTypes' => ['activityType' => ['NewLead']]],
        'batchSize' => 5,
    ]);
    foreach (all_of($page['leadChangeRecordList']['leadChangeRecord'] ?? null) as $r) {
        $people[] = (int) $r['mktPersonId'];
    }
    if ((int) $page['remainingCount'] === 0) {
        break;
    }
    $position = $page['newStartPosition'];
}
$out['getLeadChanges'] = array_values(array_intersect($ids, $people));

$merged = $call('mergeLeads', [
    'winningLeadKeyList' => ['attribute' => [['attrName' => 'IDNUM', 'attrValue' => (string) $ids[1]]]],
    'losingLeadKeyLists' => ['keyList' => [['attribute' => [['attrName' => 'IDNUM', 'attrValue' => (string) $ids[2]]]]]],
])['mergeStatus'];
$out['mergeLeads'] = [
    'status' => $merged['status'],
    'winner' => (int) $merged['winningLeadId'],
    'losers' => array_map('intval', all_of($merged['losingLeadIdList']['integerItem'])),
];

$described = $call('describeMObject', ['objectName' => 'LeadRecord']);
$out['describeMObject'] = array_slice(array_map(fn ($f) => $f['name'], all_of($described['metadata']['fieldList']['field'])), 0, 2);
$out['listMObjects'] = all_of($call('listMObjects', [])['objects']);
$out['deleteLead'] = (int) $call('deleteLead', ['leadKey' => ['keyType' => 'IDNUM', 'keyValue' => (string) $ids[0]]])['count'];

// Text outside ASCII. At the defaults NuSOAP declares ISO-8859-1 and takes the PHP string as
// such; it reads the UTF-8 answer back into ISO-8859-1.
$firstName = function (string $email) use ($call) {
    $lead = all_of($call('getLead', ['leadKey' => ['keyType' => 'EMAIL', 'keyValue' => $email]])['leadRecordList']['leadRecord'])[0];
    foreach (all_of($lead['leadAttributeList']['attribute']) as $a) {
        if ($a['attrName'] === 'FirstName') {
            return $a['attrValue'];
        }
    }
    return null;
};
$latin1 = iconv('UTF-8', 'ISO-8859-1', 'Zoë');
$call('syncLead', ['leadRecord' => ['Email' => "zoe-$run@example.com", 'leadAttributeList' => ['attribute' => [['attrName' => 'FirstName', 'attrValue' => $latin1]]]], 'returnLead' => false]);
$readLatin1 = $firstName("zoe-$run@example.com");
$client->soap_defencoding = 'UTF-8';
$client->decode_utf8 = false;
$call('syncLead', ['leadRecord' => ['Email' => "tokyo-$run@example.com", 'leadAttributeList' => ['attribute' => [['attrName' => 'FirstName', 'attrValue' => '東京']]]], 'returnLead' => false]);
$out['nonAscii'] = [
    'defaults' => $readLatin1 === $latin1,
    'utf8' => $firstName("tokyo-$run@example.com"),
    'defaultsAsUtf8' => $firstName("zoe-$run@example.com"),
];
echo json_encode($out), "\n";
