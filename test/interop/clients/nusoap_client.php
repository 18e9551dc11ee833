<?php
/**
 * An mktows integration as PHP shops wrote it with NuSOAP (Debian's libnusoap-php 0.9.5), the
 * PHP SOAP library from before ext/soap was common:
 *
 *   php nusoap_client.php WSDL_URL USER_ID ENCRYPTION_KEY [wsdl|wsdl-array-headers|no-wsdl]
 *
 * wsdl: new nusoap_client($wsdlUrl, true), each call's parameters under the part's name
 * (array('paramsGetLead' => …), as NuSOAP takes a document/literal part), the header set as a
 * raw XML string with setHeaders(); wsdl-array-headers: the same with the headers as PHP arrays;
 * no-wsdl: new nusoap_client($endpoint) and call('paramsGetLead', $params, $namespace,
 * $soapAction, $headerXml), NuSOAP's default rpc/encoded call (the method wraps the members,
 * xsi:type on every value, a PHP list a SOAP-ENC:Array). Everything else at NuSOAP's defaults:
 * HTTP/1.0, ISO-8859-1 (soap_defencoding), answers decoded to PHP arrays (one element of a list
 * is the element itself, several a list). Errors are read as its users did: $client->fault and
 * $client->getError(). Prints one JSON line (the shape of LegacyRun in
 * test/interop/legacy-toolkits.ts).
 */

require_once __DIR__ . '/nusoap_loader.php';

const MKTOWS = 'http://www.marketo.com/mktows/';

[$script, $wsdlUrl, $userId, $key] = $argv;
$mode = $argv[4] ?? 'wsdl';

function signed_fields(string $userId, string $key): array
{
    $timestamp = date(DATE_W3C);
    return [
        'mktowsUserId' => $userId,
        'requestSignature' => hash_hmac('sha1', $timestamp . $userId, $key),
        'requestTimestamp' => $timestamp,
    ];
}

/** The header as integrations pasted it: XML text, the vendor's namespace on the header. */
function header_xml(string $userId, string $key, ?string $workspace): string
{
    $f = signed_fields($userId, $key);
    $xml = '<ns1:AuthenticationHeader xmlns:ns1="' . MKTOWS . '">'
        . "<mktowsUserId>{$f['mktowsUserId']}</mktowsUserId>"
        . "<requestSignature>{$f['requestSignature']}</requestSignature>"
        . "<requestTimestamp>{$f['requestTimestamp']}</requestTimestamp>"
        . '</ns1:AuthenticationHeader>';
    if ($workspace !== null) {
        $xml .= '<ns1:MktowsContextHeader xmlns:ns1="' . MKTOWS . '">'
            . "<targetWorkspace>$workspace</targetWorkspace></ns1:MktowsContextHeader>";
    }
    return $xml;
}

/** A list as NuSOAP gives it: one element alone is the element itself. */
function all_of($value): array
{
    if ($value === null || $value === '' || $value === false) {
        return [];
    }
    return (is_array($value) && array_key_exists(0, $value)) ? $value : [$value];
}

function attributes_of($record, string $list = 'leadAttributeList'): array
{
    $out = [];
    foreach (all_of($record[$list]['attribute'] ?? null) as $a) {
        $out[$a['attrName']] = $a['attrValue'] ?? null;
    }
    return $out;
}

class NusoapFailure extends Exception
{
    public $fault;
}

if ($mode === 'no-wsdl') {
    $client = new nusoap_client(explode('?', $wsdlUrl)[0]);
} else {
    $client = new nusoap_client($wsdlUrl, true);
    if ($client->getError()) {
        fwrite(STDERR, 'constructor: ' . $client->getError() . "\n");
        exit(1);
    }
}

/** One call, a freshly signed header, the fault or error thrown as its users checked them. */
$call = function (string $operation, array $params, ?string $workspace = null) use ($client, $mode, $userId, $key) {
    $element = 'params' . ucfirst($operation);
    if ($mode === 'no-wsdl') {
        $result = $client->call($element, $params, MKTOWS, MKTOWS . $operation, header_xml($userId, $key, $workspace));
    } else {
        if ($mode === 'wsdl-array-headers') {
            $headers = ['AuthenticationHeader' => signed_fields($userId, $key)];
            if ($workspace !== null) {
                $headers['MktowsContextHeader'] = ['targetWorkspace' => $workspace];
            }
            $client->setHeaders($headers);
        } else {
            $client->setHeaders(header_xml($userId, $key, $workspace));
        }
        $result = $client->call($operation, [$element => $params]);
    }
    if ($client->fault) {
        $e = new NusoapFailure('fault: ' . $result['faultstring']);
        $e->fault = $result;
        throw $e;
    }
    if ($client->getError()) {
        throw new Exception($operation . ': ' . $client->getError() . "\n" . $client->request . "\n" . $client->response);
    }
    // The answer's one member (result, or getLeadActivity's leadActivityList): in rpc mode
    // NuSOAP gives a single return value itself, with the WSDL the successX element's content.
    return $mode === 'no-wsdl' ? $result : reset($result);
};

$run = date('His') . getmypid();
$ann = "ann.$run@example.com";
$bob = "bob.$run@example.com";
$out = ['client' => "NuSOAP {$client->version} ($mode)"];

$attribute = fn (string $name, string $value) => ['attrName' => $name, 'attrValue' => $value];
$record = function (?string $email, ?int $id, array $attrs) use ($attribute, $mode) {
    $r = [];
    if ($id !== null) {
        $r['Id'] = $id;
    }
    if ($email !== null) {
        $r['Email'] = $email;
    }
    if ($attrs) {
        $list = [];
        foreach ($attrs as $n => $v) {
            $list[] = $attribute($n, $v);
        }
        $r['leadAttributeList'] = ['attribute' => $list];
    }
    return $r;
};

$leadsByEmail = function (string $email) use ($call) {
    $result = $call('getLead', ['leadKey' => ['keyType' => 'EMAIL', 'keyValue' => $email]]);
    $leads = [];
    foreach (all_of($result['leadRecordList']['leadRecord'] ?? null) as $lead) {
        $attrs = attributes_of($lead);
        $leads[] = [
            'id' => (int) $lead['Id'],
            'email' => $lead['Email'],
            'unsubscribed' => $attrs['Unsubscribed'] ?? null,
            'firstName' => $attrs['FirstName'] ?? null,
        ];
    }
    usort($leads, fn ($a, $b) => $a['id'] <=> $b['id']);
    return ['count' => (int) $result['count'], 'leads' => $leads];
};

$activities = function (int $leadId, int $batch, $position = null) use ($call) {
    $params = ['leadKey' => ['keyType' => 'IDNUM', 'keyValue' => (string) $leadId]];
    if ($position !== null) {
        $params['startPosition'] = $position;
    }
    $params['batchSize'] = $batch;
    $page = $call('getLeadActivity', $params);
    $records = [];
    foreach (all_of($page['activityRecordList']['activityRecord'] ?? null) as $r) {
        $records[] = ['id' => (int) $r['id'], 'type' => $r['activityType'], 'attributes' => attributes_of($r, 'activityAttributes')];
    }
    return [
        'returnCount' => (int) $page['returnCount'],
        'remainingCount' => (int) $page['remainingCount'],
        'newStartPosition' => $page['newStartPosition'],
        'records' => $records,
    ];
};

$unsubscribeChange = function (array $page) {
    foreach ($page['records'] as $r) {
        if ($r['type'] === 'Change Data Value' && ($r['attributes']['Attribute Name'] ?? null) === 'Unsubscribed') {
            return ['oldValue' => $r['attributes']['Old Value'] ?? null, 'newValue' => $r['attributes']['New Value'] ?? null, 'reason' => $r['attributes']['Reason'] ?? null];
        }
    }
    return null;
};

// 1. syncMultipleLeads: two people and a record with an attribute nobody has.
$batch = $call('syncMultipleLeads', [
    'leadRecordList' => ['leadRecord' => [
        $record($ann, null, ['FirstName' => 'Ann']),
        $record($bob, null, ['FirstName' => 'Bob']),
        $record("bad.$run@example.com", null, ['NoSuchField' => 'x']),
    ]],
    'dedupEnabled' => true,
]);
$out['batch'] = array_map(
    fn ($s) => ['leadId' => (int) $s['leadId'], 'status' => $s['status']],
    all_of($batch['syncStatusList']['syncStatus'])
);

// 2. syncLead: the same address, other case and spaces, a foreign id, in partition East.
$east = $call('syncLead', [
    'leadRecord' => ['Email' => ' ' . strtoupper($ann) . ' ', 'ForeignSysPersonId' => "legacy-$run"],
    'returnLead' => false,
], 'East');
$out['east'] = ['leadId' => (int) $east['leadId'], 'status' => $east['syncStatus']['status']];

$out['before'] = $leadsByEmail($ann);

// 3. syncLead: unsubscribe Ann by her Id, the record returned.
$aId = $out['batch'][0]['leadId'];
$unsub = $call('syncLead', ['leadRecord' => $record(null, $aId, ['Unsubscribed' => 'true']), 'returnLead' => true]);
$out['unsubscribe'] = [
    'leadId' => (int) $unsub['leadId'],
    'status' => $unsub['syncStatus']['status'],
    'returned' => attributes_of($unsub['leadRecord'])['Unsubscribed'] ?? null,
];

$out['after'] = $leadsByEmail($ann);
$out['bob'] = $leadsByEmail($bob);

// 4. getLeadActivity: each person's Unsubscribed change; Ann's history a page at a time, the
// second page from the newStartPosition as NuSOAP read it.
$out['change'] = [
    'a' => $unsubscribeChange($activities($aId, 100)),
    'east' => $unsubscribeChange($activities($out['east']['leadId'], 100)),
];
$first = $activities($aId, 1);
$second = $activities($aId, 1, $first['newStartPosition']);
$out['pages'] = array_map(fn ($p) => [
    'returnCount' => $p['returnCount'],
    'remainingCount' => $p['remainingCount'],
    'ids' => array_map(fn ($r) => $r['id'], $p['records']),
    'types' => array_map(fn ($r) => $r['type'], $p['records']),
], [$first, $second]);

// 5. A fault: getLead of an address nobody has.
try {
    $call('getLead', ['leadKey' => ['keyType' => 'EMAIL', 'keyValue' => "nobody.$run@example.com"]]);
    $out['fault'] = null;
} catch (NusoapFailure $e) {
    $out['fault'] = [
        'faultcode' => $e->fault['faultcode'],
        'faultstring' => $e->fault['faultstring'],
        'code' => $e->fault['detail']['serviceException']['code'] ?? null,
    ];
}
echo json_encode($out), "\n";
