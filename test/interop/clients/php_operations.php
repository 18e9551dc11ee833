<?php
/**
 * Every served operation as PHP's SoapClient calls it: the derived selector types as SoapVar
 * with their xsi:type, a classmap for the records, positions passed back as read, and the
 * answers of one element read with and without SOAP_SINGLE_ELEMENT_ARRAYS.
 *
 *   php php_operations.php WSDL_URL USER_ID ENCRYPTION_KEY
 *
 * Prints one JSON line (test/interop/php-soapclient.test.ts checks it).
 */

require_once __DIR__ . '/php_client_setup.php';

[$script, $wsdlUrl, $userId, $key] = $argv;
$client = new SoapClient($wsdlUrl, [
    'soap_version' => SOAP_1_1,
    'features' => SOAP_SINGLE_ELEMENT_ARRAYS,
    'cache_wsdl' => WSDL_CACHE_NONE,
    'exceptions' => true,
    // Records read as the client class php_client_setup.php declares, as wsdl2php set it up.
    'classmap' => ['LeadRecord' => 'LeadRecord'],
]);
// Without the feature: a list of one is the element itself, as older integrations read it.
$plain = new SoapClient($wsdlUrl, ['soap_version' => SOAP_1_1, 'cache_wsdl' => WSDL_CACHE_NONE]);
$call = mktows_signed_calls($client, $userId, $key);
$callPlain = mktows_signed_calls($plain, $userId, $key);
$faultOf = function (callable $run): ?array {
    try {
        $run();
    } catch (SoapFault $f) {
        return ['code' => mktows_fault_code($f), 'faultcode' => $f->faultcode, 'faultstring' => $f->faultstring];
    }
    return null;
};

$out = [];
$runId = bin2hex(random_bytes(4));
$emails = array_map(fn ($n) => "php-ops-$n-$runId@example.com", [1, 2, 3]);
$records = array_map(fn ($e) => ['Email' => $e], $emails);
$batch = $call('syncMultipleLeads', ['leadRecordList' => ['leadRecord' => $records], 'dedupEnabled' => true]);
$ids = array_map(fn ($s) => $s->leadId, $batch->result->syncStatusList->syncStatus);
$out['syncMultipleLeads'] = array_map(fn ($s) => $s->status, $batch->result->syncStatusList->syncStatus);

$keySelector = new SoapVar(
    ['keyType' => 'EMAIL', 'keyValues' => ['stringItem' => $emails]],
    SOAP_ENC_OBJECT,
    'LeadKeySelector',
    MKTOWS_NS
);
$first = $call('getMultipleLeads', ['leadSelector' => $keySelector, 'batchSize' => 2]);
$second = $call('getMultipleLeads', [
    'leadSelector' => $keySelector,
    'streamPosition' => $first->result->newStreamPosition,
    'batchSize' => 2,
]);
$out['getMultipleLeadsByKeys'] = [
    $first->result->returnCount,
    $first->result->remainingCount,
    $second->result->returnCount,
    $second->result->remainingCount,
    get_class($second->result->leadRecordList->leadRecord[0]),
];
$since = new SoapVar(['oldestUpdatedAt' => '2000-01-01T00:00:00Z'], SOAP_ENC_OBJECT, 'LastUpdateAtSelector', MKTOWS_NS);
$updated = $call('getMultipleLeads', ['leadSelector' => $since, 'batchSize' => 100]);
$out['getMultipleLeadsByUpdate'] = $updated->result->returnCount;

// One lead found: an array of one with the feature, the record itself without it.
$one = ['leadKey' => ['keyType' => 'IDNUM', 'keyValue' => (string) $ids[0]]];
$out['singleElement'] = [
    'withFeature' => is_array($call('getLead', $one)->result->leadRecordList->leadRecord),
    'without' => is_object($callPlain('getLead', $one)->result->leadRecordList->leadRecord),
];

$key = ['keyType' => 'IDNUM', 'keyValue' => (string) $ids[0]];
$page = $call('getLeadActivity', ['leadKey' => $key, 'batchSize' => 1]);
$seen = array_map(fn ($r) => $r->id, $page->leadActivityList->activityRecordList->activityRecord);
// Dates as PHP integrations read them: DateTime::createFromFormat(DATE_W3C), no fraction.
$dates = [$page->leadActivityList->newStartPosition->activityCreatedAt];
foreach ($page->leadActivityList->activityRecordList->activityRecord as $r) $dates[] = $r->activityDateTime;
while ($page->leadActivityList->remainingCount > 0 && count($seen) < 10) {
    $page = $call('getLeadActivity', [
        'leadKey' => $key,
        'startPosition' => $page->leadActivityList->newStartPosition,
        'batchSize' => 1,
    ]);
    foreach ($page->leadActivityList->activityRecordList->activityRecord ?? [] as $r) $seen[] = $r->id;
}
$out['getLeadActivityPaged'] = $seen;

$changes = $call('getLeadChanges', [
    'startPosition' => ['oldestCreatedAt' => '2000-01-01T00:00:00+00:00'],
    'activityFilter' => ['includeTypes' => ['activityType' => ['NewLead']]],
    'batchSize' => 1000,
]);
$people = array_map(fn ($r) => (int) $r->mktPersonId, $changes->result->leadChangeRecordList->leadChangeRecord);
foreach ($changes->result->leadChangeRecordList->leadChangeRecord as $r) $dates[] = $r->activityDateTime;
$out['datesReadAsW3C'] = [
    count($dates),
    count(array_filter($dates, fn ($d) => DateTime::createFromFormat(DATE_W3C, $d) instanceof DateTime)),
];
$out['getLeadChanges'] = array_values(array_intersect($ids, $people));

$described = $call('describeMObject', ['objectName' => 'LeadRecord']);
$out['describeMObject'] = array_slice(array_map(fn ($f) => $f->name, $described->result->metadata->fieldList->field), 0, 3);

$merged = $call('mergeLeads', [
    'winningLeadKeyList' => ['attribute' => [['attrName' => 'IDNUM', 'attrValue' => (string) $ids[1]]]],
    'losingLeadKeyLists' => ['keyList' => [['attribute' => [['attrName' => 'IDNUM', 'attrValue' => (string) $ids[2]]]]]],
]);
$out['mergeLeads'] = [
    'status' => $merged->result->mergeStatus->status,
    'winner' => $merged->result->mergeStatus->winningLeadId,
    'losers' => $merged->result->mergeStatus->losingLeadIdList->integerItem,
];

// The shape of the vendor's own PHP sample of mergeLeads: stdClass key lists, the losing ones a
// bare array (no keyList member), two losers. Each of the three holds a LeadScore of 10, which
// the merge adds up.
$scored = array_map(fn ($n) => [
    'Email' => "php-score-$n-$runId@example.com",
    'leadAttributeList' => ['attribute' => [['attrName' => 'LeadScore', 'attrValue' => '10']]],
], [1, 2, 3]);
$scoredBatch = $call('syncMultipleLeads', ['leadRecordList' => ['leadRecord' => $scored]]);
$scoredIds = array_map(fn ($s) => $s->leadId, $scoredBatch->result->syncStatusList->syncStatus);
$idKeyList = function (int $id): stdClass {
    $attribute = new stdClass();
    $attribute->attrName = 'IDNUM';
    $attribute->attrValue = (string) $id;
    $list = new stdClass();
    $list->attribute = [$attribute];
    return $list;
};
$vendorShape = new stdClass();
$vendorShape->winningLeadKeyList = $idKeyList($scoredIds[0]);
$vendorShape->losingLeadKeyLists = [$idKeyList($scoredIds[1]), $idKeyList($scoredIds[2])];
$vendorMerged = $call('mergeLeads', $vendorShape);
$winner = $call('getLead', ['leadKey' => ['keyType' => 'IDNUM', 'keyValue' => (string) $scoredIds[0]]]);
$score = null;
foreach ($winner->result->leadRecordList->leadRecord[0]->leadAttributeList->attribute as $a) {
    if ($a->attrName === 'LeadScore') {
        $score = $a->attrValue;
        settype($score, $a->attrType);
    }
}
$out['mergeLeadsVendorShape'] = [
    'status' => $vendorMerged->result->mergeStatus->status,
    'losers' => count($vendorMerged->result->mergeStatus->losingLeadIdList->integerItem),
    'score' => $score,
];

$listed = $call('listMObjects', []);
$out['listMObjects'] = $listed->result->objects;
$out['unserved'] = $faultOf(fn () => $call('getMObjects', ['type' => 'Opportunity']));
$out['notFound'] = $faultOf(fn () => $call('getLead', ['leadKey' => ['keyType' => 'EMAIL', 'keyValue' => 'nobody-php@example.com']]));
$out['ids'] = $ids;
echo json_encode($out), "\n";
