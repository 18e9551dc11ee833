<?php
/**
 * Create or update a lead, then read it back by email.
 *
 *   php quickstart.php https://mktows.example.com/soap/mktows/2_9?WSDL USER_ID ENCRYPTION_KEY ann@example.com
 *
 * Needs PHP with ext-soap (Debian/Ubuntu: apt install php-cli php-soap).
 */

if (!extension_loaded('soap')) {
    fwrite(STDERR, "error: needs PHP's soap extension (apt install php-soap)\n");
    exit(1);
}

require_once __DIR__ . '/mktows_client.php';

if ($argc !== 5) {
    fwrite(STDERR, "usage: php {$argv[0]} WSDL_URL USER_ID ENCRYPTION_KEY EMAIL\n");
    exit(2);
}
[, $wsdlUrl, $userId, $encryptionKey, $email] = $argv;

try {
    $client = mktows_client($wsdlUrl);
    // syncLead: with only Email as key, the lead with that address is updated (or created).
    $client->__setSoapHeaders([mktows_authentication($userId, $encryptionKey)]);
    $result = $client->syncLead([
        'leadRecord' => [
            'Email' => $email,
            'leadAttributeList' => ['attribute' => [
                ['attrName' => 'FirstName', 'attrType' => 'string', 'attrValue' => 'Ann'],
                ['attrName' => 'Company', 'attrType' => 'string', 'attrValue' => 'Example Inc.'],
            ]],
        ],
        'returnLead' => false,
    ]);
} catch (SoapFault $fault) {
    // One line, not a stack trace: a wrong key is the commonest first mistake.
    $code = mktows_fault_code($fault);
    $hint = $code === '20014' ? ': check the user id and encryption key' : '';
    fwrite(STDERR, "error: {$fault->faultstring} (code $code)$hint\n");
    exit(1);
}
echo "syncLead: lead {$result->result->leadId} {$result->result->syncStatus->status}\n";

// getLead by EMAIL returns every lead with that address.
try {
    $client->__setSoapHeaders([mktows_authentication($userId, $encryptionKey)]);
    $found = $client->getLead(['leadKey' => ['keyType' => 'EMAIL', 'keyValue' => $email]]);
} catch (SoapFault $fault) {
    fwrite(STDERR, "getLead failed: {$fault->faultstring} (code " . mktows_fault_code($fault) . ")\n");
    exit(1);
}
echo "getLead: {$found->result->count} lead(s)\n";
foreach ($found->result->leadRecordList->leadRecord as $lead) {
    printf(
        "  lead %d <%s> FirstName=%s Unsubscribed=%s\n",
        $lead->Id,
        $lead->Email,
        mktows_attribute($lead, 'FirstName'),
        mktows_attribute($lead, 'Unsubscribed'),
    );
}
