<?php
/**
 * The durable unsubscribe, seen from a client: two people share one address, one of them
 * unsubscribes, the other follows, and the activity log says why.
 *
 *   php worked_example.php http://localhost:8080/soap/mktows/2_9?WSDL USER_ID ENCRYPTION_KEY [EMAIL]
 *
 * Needs PHP with ext-soap (Debian/Ubuntu: apt install php-cli php-soap).
 */

if (!extension_loaded('soap')) {
    fwrite(STDERR, "error: needs PHP's soap extension (apt install php-soap)\n");
    exit(1);
}
require_once __DIR__ . '/mktows_client.php';

if ($argc !== 4 && $argc !== 5) {
    fwrite(STDERR, "usage: php {$argv[0]} WSDL_URL USER_ID ENCRYPTION_KEY [EMAIL]\n");
    exit(2);
}
[, $wsdlUrl, $userId, $encryptionKey] = $argv;
$email = $argv[4] ?? 'ann@example.com';

function sync_lead(SoapClient $client, string $userId, string $key, array $record, ?string $workspace = null): array
{
    $headers = [mktows_authentication($userId, $key)];
    if ($workspace !== null) {
        $headers[] = mktows_context($workspace);
    }
    $client->__setSoapHeaders($headers);
    $r = $client->syncLead(['leadRecord' => $record, 'returnLead' => false]);
    return [$r->result->leadId, $r->result->syncStatus->status];
}

function unsubscribed(SoapClient $client, string $userId, string $key, int $leadId): ?string
{
    $client->__setSoapHeaders([mktows_authentication($userId, $key)]);
    $r = $client->getLead(['leadKey' => ['keyType' => 'IDNUM', 'keyValue' => (string) $leadId]]);
    // Booleans travel as the vendor sent them, 1 or 0 (never cast the string: PHP reads "false" as true).
    $value = mktows_attribute($r->result->leadRecordList->leadRecord[0], 'Unsubscribed');
    return in_array(strtolower((string) $value), ['1', 'true'], true) ? 'true' : 'false';
}

try {
    $client = mktows_client($wsdlUrl);

    // 1. Two people with one address: A in the default partition, B in "East" (B's own
    //    foreign id keeps syncLead from matching A by email).
    [$a, $aStatus] = sync_lead($client, $userId, $encryptionKey, ['Email' => $email]);
    [$b, $bStatus] = sync_lead(
        $client,
        $userId,
        $encryptionKey,
        ['Email' => strtoupper($email), 'ForeignSysPersonId' => 'worked-example-' . bin2hex(random_bytes(6))],
        'East',
    );
    echo "1. A is lead $a ($aStatus), B is lead $b ($bStatus), both <$email>\n";
    $aUnsubscribed = unsubscribed($client, $userId, $encryptionKey, $a);
    printf("   Unsubscribed: A=%s B=%s\n", $aUnsubscribed, unsubscribed($client, $userId, $encryptionKey, $b));
    if ($aUnsubscribed === 'true') {
        // Nothing would follow: the address kept the unsubscribe of an earlier run.
        fwrite(STDERR, "error: $email is unsubscribed already (an earlier run?): run again with an address not used before\n");
        exit(1);
    }

    // 2. A unsubscribes, through syncLead as any integration would send it.
    sync_lead($client, $userId, $encryptionKey, [
        'Id' => $a,
        'leadAttributeList' => ['attribute' => [
            ['attrName' => 'Unsubscribed', 'attrType' => 'boolean', 'attrValue' => 'true'],
        ]],
    ]);
    echo "2. A unsubscribes\n";
    printf("   Unsubscribed: A=%s B=%s  (B followed)\n", unsubscribed($client, $userId, $encryptionKey, $a), unsubscribed($client, $userId, $encryptionKey, $b));

    // 3. B's activity log says why its flag changed (newest first).
    $client->__setSoapHeaders([mktows_authentication($userId, $encryptionKey)]);
    $page = $client->getLeadActivity([
        'leadKey' => ['keyType' => 'IDNUM', 'keyValue' => (string) $b],
        'activityFilter' => ['includeTypes' => ['activityType' => ['ChangeDataValue']]],
        'batchSize' => 20,
    ]);
    foreach ($page->leadActivityList->activityRecordList->activityRecord ?? [] as $record) {
        $attrs = [];
        foreach ($record->activityAttributes->attribute as $attr) {
            $attrs[$attr->attrName] = $attr->attrValue;
        }
        if (($attrs['Attribute Name'] ?? null) === 'Unsubscribed') {
            echo "3. B's activity at {$record->activityDateTime}: Unsubscribed {$attrs['Old Value']} -> {$attrs['New Value']}, reason: {$attrs['Reason']}\n";
            break;
        }
    }
} catch (SoapFault $fault) {
    $code = mktows_fault_code($fault);
    $hint = $code === '20014' ? ': check the user id and encryption key' : '';
    fwrite(STDERR, "error: {$fault->faultstring} (code $code)$hint\n");
    exit(1);
}
