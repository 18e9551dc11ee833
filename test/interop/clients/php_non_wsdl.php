<?php
/**
 * Every served operation as PHP's SoapClient calls it without a WSDL (`new SoapClient(null,
 * ['location' => …, 'uri' => …])`, its default rpc/encoded style), as integrations written
 * before the WSDL was at hand did: the params element as the method, members as SoapParam,
 * records as objects and every list a PHP list, which SoapClient writes as a SOAP-ENC:Array of
 * `item`s; the headers as objects; answers read as SoapClient decodes them untyped.
 *
 *   php php_non_wsdl.php ENDPOINT_URL USER_ID ENCRYPTION_KEY
 *
 * Prints one JSON line (test/interop/php-non-wsdl.test.ts checks it).
 */

require_once __DIR__ . '/php_client_setup.php';

[$script, $endpoint, $userId, $key] = $argv;
$client = new SoapClient(null, [
    'location' => $endpoint,
    'uri' => MKTOWS_NS,
    'exceptions' => true,
    'trace' => true,
]);

/** One call: the params element as the method, its members in order, a freshly signed header. */
$call = function (string $operation, array $members) use ($client, $userId, $key) {
    $timestamp = mktows_request_timestamp();
    $auth = new SoapHeader(MKTOWS_NS, 'AuthenticationHeader', (object) [
        'mktowsUserId' => $userId,
        'requestSignature' => mktows_request_signature($key, $timestamp, $userId),
        'requestTimestamp' => $timestamp,
    ]);
    $params = [];
    foreach ($members as $name => $value) {
        $params[] = new SoapParam($value, $name);
    }
    return $client->__soapCall('params' . ucfirst($operation), $params, ['soapaction' => MKTOWS_NS . $operation], [$auth]);
};
$faultOf = function (callable $run): ?array {
    try {
        $run();
    } catch (SoapFault $f) {
        return ['code' => mktows_fault_code($f), 'faultcode' => $f->faultcode];
    }
    return null;
};
/** A list as SoapClient reads it untyped: one element alone is the element itself. */
$all = fn ($v) => $v === null ? [] : (is_array($v) ? $v : [$v]);
$attributes = function ($record) use ($all): array {
    $out = [];
    foreach ($all($record->leadAttributeList->attribute ?? null) as $a) {
        $out[$a->attrName] = $a->attrValue;
    }
    return $out;
};
$attribute = fn (string $name, string $value) => (object) ['attrName' => $name, 'attrValue' => $value];

$out = ['client' => 'php SoapClient ' . PHP_VERSION . ' (no WSDL)'];
$runId = bin2hex(random_bytes(4));
$emails = array_map(fn ($n) => "php-non-wsdl-$n-$runId@example.com", [1, 2, 3]);

// syncMultipleLeads: three records, each with a list of two attributes.
$batch = $call('syncMultipleLeads', [
    'leadRecordList' => (object) ['leadRecord' => array_map(fn ($e) => (object) [
        'Email' => $e,
        'leadAttributeList' => (object) ['attribute' => [$attribute('FirstName', 'Non'), $attribute('LastName', 'Wsdl')]],
    ], $emails)],
    'dedupEnabled' => true,
]);
$statuses = $all($batch->syncStatusList->syncStatus);
$ids = array_map(fn ($s) => (int) $s->leadId, $statuses);
$out['ids'] = $ids;
$out['syncMultipleLeads'] = array_map(fn ($s) => $s->status, $statuses);

// syncLead by Id: two attributes, the record returned.
$synced = $call('syncLead', [
    'leadRecord' => (object) ['Id' => $ids[0], 'leadAttributeList' => (object) ['attribute' => [
        $attribute('Company', 'Acme'), $attribute('City', 'Lyon'),
    ]]],
    'returnLead' => true,
]);
$returned = $attributes($synced->leadRecord);
$out['syncLead'] = [$synced->syncStatus->status, $returned['FirstName'] ?? null, $returned['Company'] ?? null, $returned['City'] ?? null];

$lead = $call('getLead', ['leadKey' => (object) ['keyType' => 'EMAIL', 'keyValue' => $emails[0]]]);
$out['getLead'] = [(int) $lead->count, $attributes($all($lead->leadRecordList->leadRecord)[0])['LastName'] ?? null];

// getMultipleLeads by a LeadKeySelector (xsi:type from SoapVar), two a page, the position passed back.
$selector = new SoapVar(
    (object) ['keyType' => 'EMAIL', 'keyValues' => (object) ['stringItem' => $emails]],
    SOAP_ENC_OBJECT,
    'LeadKeySelector',
    MKTOWS_NS
);
$pages = [];
$position = null;
do {
    $members = ['leadSelector' => $selector, 'batchSize' => 2];
    if ($position !== null) {
        $members['streamPosition'] = $position;
    }
    $page = $call('getMultipleLeads', $members);
    $pages[] = [(int) $page->returnCount, (int) $page->remainingCount,
        array_map(fn ($r) => (int) $r->Id, $all($page->leadRecordList->leadRecord ?? null))];
    $position = $page->newStreamPosition;
} while ((int) $page->remainingCount > 0 && count($pages) < 5);
$out['getMultipleLeads'] = $pages;

// getLeadActivity one a page, the newStartPosition passed back as read.
$activity = [];
$start = null;
do {
    $members = ['leadKey' => (object) ['keyType' => 'IDNUM', 'keyValue' => (string) $ids[0]]];
    if ($start !== null) {
        $members['startPosition'] = $start;
    }
    $members['activityFilter'] = (object) ['includeTypes' => (object) ['activityType' => ['NewLead', 'ChangeDataValue']]];
    $members['batchSize'] = 1;
    $page = $call('getLeadActivity', $members);
    foreach ($all($page->activityRecordList->activityRecord ?? null) as $r) {
        $activity[] = $r->activityType;
    }
    $start = $page->newStartPosition;
} while ((int) $page->remainingCount > 0 && count($activity) < 10);
$out['getLeadActivity'] = $activity;

// getLeadChanges: New Lead only, from an hour ago.
$changes = $call('getLeadChanges', [
    'startPosition' => (object) ['oldestCreatedAt' => (new DateTimeImmutable('-1 hour'))->format(DATE_ATOM)],
    'activityFilter' => (object) ['includeTypes' => (object) ['activityType' => ['NewLead']]],
    'batchSize' => 1000,
]);
$out['getLeadChanges'] = array_values(array_intersect(
    $ids,
    array_map(fn ($r) => (int) $r->mktPersonId, $all($changes->leadChangeRecordList->leadChangeRecord ?? null))
));

// mergeLeads: the third into the second, each key list a list.
$merged = $call('mergeLeads', [
    'winningLeadKeyList' => (object) ['attribute' => [$attribute('IDNUM', (string) $ids[1])]],
    'losingLeadKeyLists' => (object) ['keyList' => [(object) ['attribute' => [$attribute('IDNUM', (string) $ids[2])]]]],
]);
$mergeStatus = $all($merged->mergeStatus ?? $merged)[0];
$out['mergeLeads'] = $mergeStatus->status ?? null;

$out['listMObjects'] = $all($call('listMObjects', [])->objects ?? null);
$described = $call('describeMObject', ['objectName' => 'LeadRecord']);
$out['describeMObject'] = in_array('Email', array_map(fn ($f) => $f->name, $all($described->metadata->fieldList->field ?? null)), true);
$out['unserved'] = $faultOf(fn () => $call('requestCampaign', ['source' => 'MKTOWS']));
// Empty lists ([], which SoapClient writes as a SOAP-ENC:Array of no item): a lead with no
// attribute, its activity with no activity type named (no filter), every field of it.
$bare = "php-non-wsdl-empty-$runId@example.com";
$out['empty'] = [
    'syncLead' => $call('syncLead', [
        'leadRecord' => (object) ['Email' => $bare, 'leadAttributeList' => (object) ['attribute' => []]],
        'returnLead' => false,
    ])->syncStatus->status,
    'getLeadActivity' => (int) $call('getLeadActivity', [
        'leadKey' => (object) ['keyType' => 'EMAIL', 'keyValue' => $bare],
        'activityFilter' => (object) ['excludeTypes' => (object) ['activityType' => []]],
    ])->returnCount,
    'getMultipleLeads' => array_map(fn ($a) => $a->attrName, $all($call('getMultipleLeads', [
        'leadSelector' => new SoapVar(
            (object) ['keyType' => 'EMAIL', 'keyValues' => (object) ['stringItem' => [$bare]]],
            SOAP_ENC_OBJECT,
            'LeadKeySelector',
            MKTOWS_NS
        ),
        'includeAttributes' => (object) ['stringItem' => []],
    ])->leadRecordList->leadRecord->leadAttributeList->attribute ?? null)),
];
$out['notFound'] = $faultOf(fn () => $call('getLead', ['leadKey' => (object) ['keyType' => 'EMAIL', 'keyValue' => "nobody-$runId@example.com"]]));

echo json_encode($out), "\n";
