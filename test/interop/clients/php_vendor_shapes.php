<?php
/**
 * What PHP integrations of the vendor era did with answers, without a check: a `datetime`
 * attribute read with DateTime::createFromFormat(DATE_W3C), the attributes of every change
 * read by `foreach` over `activityAttributes->attribute` (SoapClient's default: a list of one is
 * the element itself), an activity's campaign and mktgAssetName used as strings, and the `Created Date` of a
 * `New Lead` read as the day the vendor wrote there (`2015-09-04`), with
 * DateTime::createFromFormat('!Y-m-d').
 *
 *   php php_vendor_shapes.php WSDL_URL USER_ID ENCRYPTION_KEY
 *
 * The service runs with CUSTOM_FIELDS=cDateTime:datetime. Prints one JSON line
 * (test/interop/php-vendor-shapes.test.ts checks it).
 */

require_once __DIR__ . '/php_client_setup.php';

[$script, $wsdlUrl, $userId, $key] = $argv;
// SoapClient's defaults, as most integrations left them.
$client = new SoapClient($wsdlUrl, ['soap_version' => SOAP_1_1, 'cache_wsdl' => WSDL_CACHE_NONE]);
$call = mktows_signed_calls($client, $userId, $key);

$out = [];
$runId = bin2hex(random_bytes(4));
$email = "php-shapes-$runId@example.com";
$attribute = fn ($name, $value) => ['attrName' => $name, 'attrValue' => $value];

$synced = $call('syncLead', [
    'leadRecord' => ['Email' => $email, 'leadAttributeList' => ['attribute' => [$attribute('cDateTime', '2026-01-02T04:04:05+01:00')]]],
    'returnLead' => true,
]);
$id = $synced->result->leadId;

// The datetime attribute, as a PHP integration read it.
$lead = $call('getLead', ['leadKey' => ['keyType' => 'IDNUM', 'keyValue' => (string) $id]])->result->leadRecordList->leadRecord;
$read = null;
foreach ($lead->leadAttributeList->attribute as $a) {
    if ($a->attrName === 'cDateTime') {
        $at = DateTime::createFromFormat(DATE_W3C, $a->attrValue);
        $read = $at === false ? 'unreadable: ' . $a->attrValue : $at->format('U');
    }
}
$out['dateTime'] = $read;

// The campaign of each activity, used as a string.
$activity = $call('getLeadActivity', ['leadKey' => ['keyType' => 'IDNUM', 'keyValue' => (string) $id]]);
$records = $activity->leadActivityList->activityRecordList->activityRecord;
$records = is_array($records) ? $records : [$records];
$out['campaigns'] = array_map(fn ($r) => strlen($r->campaign), $records);
// Its asset's name, a string as the vendor wrote it (empty for a New Lead), never null.
$out['assetTypes'] = array_values(array_unique(array_map(fn ($r) => gettype($r->mktgAssetName), $records)));

// The day the person was created, from its New Lead activity (false: not a day).
$createdDay = function (object $activity): array {
    foreach ($activity->activityAttributes->attribute as $a) {
        if ($a->attrName !== 'Created Date') continue;
        $day = DateTime::createFromFormat('!Y-m-d', $a->attrValue, new DateTimeZone('UTC'));
        return [$day === false ? 'unreadable: ' . $a->attrValue : $day->format('Y-m-d'), substr($activity->activityDateTime, 0, 10)];
    }
    return ['none', substr($activity->activityDateTime, 0, 10)];
};
foreach ($records as $r) if ($r->activityType === 'New Lead') $out['createdDate'] = $createdDay($r);

// A deletion, then every change of the person, each change's attributes by name.
$call('deleteLead', ['leadKey' => ['keyType' => 'IDNUM', 'keyValue' => (string) $id]]);
$changes = $call('getLeadChanges', ['startPosition' => ['offset' => 'ID:0'], 'batchSize' => 1000]);
$list = $changes->result->leadChangeRecordList->leadChangeRecord;
$list = is_array($list) ? $list : [$list];
$out['changes'] = [];
foreach ($list as $change) {
    if ($change->mktPersonId !== (string) $id) continue;
    $names = [];
    foreach ($change->activityAttributes->attribute as $a) $names[] = $a->attrName;
    $out['changes'][] = ['type' => $change->activityType, 'attributes' => $names];
    if ($change->activityType === 'New Lead') $out['changeCreatedDate'] = $createdDay($change);
}

echo json_encode($out), "\n";
