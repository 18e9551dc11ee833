<?php
/**
 * PHP's SoapClient with its `compression` option, as integrations set it to save bandwidth:
 * every request body compressed (gzip, then deflate), Accept-Encoding sent, and the answer
 * read as it comes. A value with a CR LF goes as PHP writes it.
 *
 *   php php_compression.php WSDL_URL USER_ID ENCRYPTION_KEY
 *
 * Prints one JSON line (test/interop/php-soapclient.test.ts checks it).
 */

require_once __DIR__ . '/php_client_setup.php';

[$script, $wsdlUrl, $userId, $key] = $argv;
$email = 'php-compression-' . bin2hex(random_bytes(4)) . '@example.com';
$out = [];
foreach (['gzip' => SOAP_COMPRESSION_GZIP, 'deflate' => SOAP_COMPRESSION_DEFLATE] as $name => $kind) {
    $client = new SoapClient($wsdlUrl, [
        'soap_version' => SOAP_1_1,
        'cache_wsdl' => WSDL_CACHE_NONE,
        'trace' => true,
        'compression' => SOAP_COMPRESSION_ACCEPT | $kind | 9,
    ]);
    $call = mktows_signed_calls($client, $userId, $key);
    $sync = $call('syncLead', [
        'leadRecord' => [
            'Email' => $email,
            'leadAttributeList' => ['attribute' => [['attrName' => 'Address', 'attrValue' => "1 Main St\r\nSuite $name"]]],
        ],
        'returnLead' => false,
    ]);
    $read = $call('getLead', ['leadKey' => ['keyType' => 'EMAIL', 'keyValue' => $email]]);
    $requestHeaders = $client->__getLastRequestHeaders();
    $answerHeaders = $client->__getLastResponseHeaders();
    $out[$name] = [
        'status' => $sync->result->syncStatus->status,
        'count' => $read->result->count,
        'address' => mktows_attribute($read->result->leadRecordList->leadRecord, 'Address'),
        'contentEncoding' => preg_match('/^Content-Encoding: *(\S+)/mi', $requestHeaders, $m) ? $m[1] : null,
        'acceptEncoding' => preg_match('/^Accept-Encoding: *(.+?)\s*$/mi', $requestHeaders, $m) ? $m[1] : null,
        'answerEncoding' => preg_match('/^Content-Encoding: *(\S+)/mi', $answerHeaders, $m) ? $m[1] : null,
    ];
}
echo json_encode($out), "\n";
