<?php
/**
 * Paging loops as the vendor's PHP samples taught integrations to write them, on SoapClient's
 * defaults (no SOAP_SINGLE_ELEMENT_ARRAYS: a list of one is the element itself):
 *
 *   php php_vendor_loops.php WSDL_URL USER_ID ENCRYPTION_KEY
 *
 * One AuthenticationHeader (stdClass members, signed once with a Los Angeles DATE_W3C time)
 * for every call of the run; the parameters as stdClass objects; `__soapCall` given the options
 * array (`location`, `connection_timeout`, `trace`) as its third argument. getLeadChanges by
 * activityNameFilter, the newStartPosition object read set back as the startPosition while
 * remainingCount > 0; getLeadActivity with a start position of empty strings (latestCreatedAt,
 * offset) and its parameters keyed by the params element's name, then paged the same way;
 * getMultipleLeads by a LeadKeySelector SoapVar with a null streamPosition, then the
 * newStreamPosition read. Prints one JSON line (test/interop/php-soapclient.test.ts checks it).
 */

require_once __DIR__ . '/php_client_setup.php';

[$script, $wsdlUrl, $userId, $key] = $argv;
$endpoint = explode('?', $wsdlUrl)[0];

$pacific = new DateTime('now', new DateTimeZone('America/Los_Angeles'));
$signedAt = $pacific->format(DATE_W3C);
$members = new stdClass();
$members->mktowsUserId = $userId;
$members->requestSignature = hash_hmac('sha1', $signedAt . $userId, $key);
$members->requestTimestamp = $signedAt;
$header = new SoapHeader(MKTOWS_NS, 'AuthenticationHeader', $members);
$options = ['connection_timeout' => 20, 'location' => $endpoint, 'trace' => 1, 'cache_wsdl' => WSDL_CACHE_NONE];
$client = new SoapClient($wsdlUrl, $options);
$call = fn (string $operation, $params) => $client->__soapCall($operation, [$params], $options, $header);
// A list as SoapClient reads it by default: absent, one element itself, or an array.
$all = fn ($list) => $list === null ? [] : (is_array($list) ? $list : [$list]);

$runId = bin2hex(random_bytes(4));
$emails = array_map(fn ($n) => "php-loops-$n-$runId@example.com", [1, 2, 3, 4, 5]);
$batch = $call('syncMultipleLeads', ['leadRecordList' => ['leadRecord' => array_map(fn ($e) => ['Email' => $e], $emails)]]);
$ids = array_map(fn ($s) => $s->leadId, $all($batch->result->syncStatusList->syncStatus));
$out = ['created' => count($ids)];

// getLeadChanges: New Lead by its display name, two a page, from an hour before the run.
$names = new stdClass();
$names->stringItem = ['New Lead', 'Click Link'];
$params = new stdClass();
$params->activityNameFilter = $names;
$start = new stdClass();
$start->oldestCreatedAt = (clone $pacific)->modify('-1 hour')->format(DATE_W3C);
$params->startPosition = $start;
$params->batchSize = 2;
$people = [];
$changeIds = [];
$pages = 0;
$more = true;
while ($more && $pages < 50) {
    $result = $call('getLeadChanges', $params)->result;
    $pages++;
    foreach ($all($result->leadChangeRecordList->leadChangeRecord ?? null) as $change) {
        $people[] = (int) $change->mktPersonId;
        $changeIds[] = $change->id;
    }
    $more = $result->remainingCount > 0;
    $params->startPosition = $result->newStartPosition;
}
$mine = array_values(array_intersect($people, $ids));
$out['getLeadChanges'] = ['all' => count($mine) === 5, 'once' => count(array_unique($changeIds)) === count($changeIds), 'pages' => $pages];

// getLeadActivity: the first person's, after an unsubscribe gave it a second activity.
$call('syncLead', ['leadRecord' => ['Id' => $ids[0], 'leadAttributeList' => ['attribute' => [['attrName' => 'Unsubscribed', 'attrValue' => 'true']]]], 'returnLead' => false]);
$leadKey = ['keyType' => 'EMAIL', 'keyValue' => $emails[0]];
$emptyStart = new stdClass();
$emptyStart->latestCreatedAt = '';
$emptyStart->offset = '';
$visits = new stdClass();
$visits->activityType = ['VisitWebpage', 'FillOutForm'];
$filter = new stdClass();
$filter->includeTypes = $visits;
$keyed = ['paramsGetLeadActivity' => ['leadKey' => $leadKey, 'activityFilter' => $filter, 'batchSize' => 10, 'startPosition' => $emptyStart]];
$none = $client->__soapCall('getLeadActivity', $keyed, $options, $header)->leadActivityList;
$out['noVisits'] = [(int) $none->returnCount, (int) $none->remainingCount];
$seen = [];
$activity = ['leadKey' => $leadKey, 'batchSize' => 1, 'startPosition' => $emptyStart];
do {
    $list = $call('getLeadActivity', $activity)->leadActivityList;
    foreach ($all($list->activityRecordList->activityRecord ?? null) as $record) {
        $seen[] = $record->activityType;
    }
    $activity['startPosition'] = $list->newStartPosition;
} while ($list->remainingCount > 0 && count($seen) < 10);
$out['getLeadActivity'] = $seen;

// getMultipleLeads: the five by their addresses, two a page, no position at first.
$selector = new stdClass();
$selector->keyType = 'EMAIL';
$keys = new stdClass();
$keys->stringItem = $emails;
$selector->keyValues = $keys;
$query = new stdClass();
$query->leadSelector = new SoapVar($selector, SOAP_ENC_OBJECT, 'LeadKeySelector', MKTOWS_NS);
$query->streamPosition = null;
$query->batchSize = 2;
$found = [];
$pages = 0;
do {
    $result = $call('getMultipleLeads', $query)->result;
    $pages++;
    foreach ($all($result->leadRecordList->leadRecord ?? null) as $lead) {
        $found[] = $lead->Id;
    }
    $query->streamPosition = $result->newStreamPosition;
} while ($result->remainingCount > 0 && $pages < 10);
sort($found);
$out['getMultipleLeads'] = ['found' => $found === $ids, 'pages' => $pages];

echo json_encode($out), "\n";
