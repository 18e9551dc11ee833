<?php
/**
 * The worked example of the durable-unsubscribe spec, run by PHP's SoapClient.
 *
 *   php php_worked_example.php WSDL_URL USER_ID ENCRYPTION_KEY
 *
 * Prints one JSON line (the shape of WorkedExampleRun in test/interop/worked-example.ts), or
 * exits non-zero with a message. Signing and client set-up come from examples/php (through
 * php_client_setup.php).
 */

require_once __DIR__ . '/php_client_setup.php';

final class WorkedExample
{
    private SoapClient $client;

    public function __construct(string $wsdlUrl, private string $userId, private string $key)
    {
        $this->client = mktows_client($wsdlUrl);
    }

    /** Calls an operation with a freshly signed AuthenticationHeader (and any other headers). */
    private function call(string $operation, array $params, array $headers = []): object
    {
        $this->client->__setSoapHeaders(array_merge([mktows_authentication($this->userId, $this->key)], $headers));
        return $this->client->__soapCall($operation, [$params]);
    }

    private static function outcome(object $syncStatus): array
    {
        return ['leadId' => (int) $syncStatus->leadId, 'status' => $syncStatus->status];
    }

    private function syncLead(array $record, ?string $workspace = null): array
    {
        $headers = $workspace === null ? [] : [mktows_context($workspace)];
        $r = $this->call('syncLead', ['leadRecord' => $record, 'returnLead' => false], $headers)->result;
        if ($r->leadId !== $r->syncStatus->leadId) {
            throw new RuntimeException("syncLead: leadId {$r->leadId} but syncStatus.leadId {$r->syncStatus->leadId}");
        }
        return self::outcome($r->syncStatus);
    }

    private function lead(int $id): object
    {
        $r = $this->call('getLead', ['leadKey' => ['keyType' => 'IDNUM', 'keyValue' => (string) $id]])->result;
        if ($r->count !== 1 || count($r->leadRecordList->leadRecord) !== 1) {
            throw new RuntimeException("getLead IDNUM $id returned {$r->count} leads");
        }
        return $r->leadRecordList->leadRecord[0];
    }

    private function unsubscribed(int $id): ?string
    {
        return mktows_attribute($this->lead($id), 'Unsubscribed');
    }

    /** The newest Change Data Value activity of the lead that changed Unsubscribed. */
    private function unsubscribeChange(int $id): ?array
    {
        $page = $this->call('getLeadActivity', [
            'leadKey' => ['keyType' => 'IDNUM', 'keyValue' => (string) $id],
            'activityFilter' => ['includeTypes' => ['activityType' => ['ChangeDataValue']]],
            'batchSize' => 100,
        ])->leadActivityList;
        foreach ($page->activityRecordList->activityRecord ?? [] as $record) { // newest first
            $attrs = [];
            foreach ($record->activityAttributes->attribute as $a) {
                $attrs[$a->attrName] = $a->attrValue;
            }
            if (($attrs['Attribute Name'] ?? null) === 'Unsubscribed') {
                return [
                    'activityType' => $record->activityType,
                    'oldValue' => $attrs['Old Value'] ?? null,
                    'newValue' => $attrs['New Value'] ?? null,
                    'reason' => $attrs['Reason'] ?? null,
                ];
            }
        }
        return null;
    }

    private static function unsubscribedAttr(string $value): array
    {
        return ['attribute' => [['attrName' => 'Unsubscribed', 'attrType' => 'boolean', 'attrValue' => $value]]];
    }

    public function run(): array
    {
        $out = ['client' => 'php SoapClient ' . PHP_VERSION];

        // 1. A in the default partition; B with a foreign id (so Email does not match A) in East.
        $a = $this->syncLead(['Email' => 'ann@example.com']);
        $b = $this->syncLead(['Email' => 'ANN@Example.com ', 'ForeignSysPersonId' => 'interop-php-B'], 'East');
        [$A, $B] = [$a['leadId'], $b['leadId']];
        $out['step1'] = [
            'a' => $a,
            'b' => $b,
            'unsubscribed' => ['a' => $this->unsubscribed($A), 'b' => $this->unsubscribed($B)],
        ];

        // 2. Unsubscribe A.
        $sync = $this->syncLead(['Id' => $A, 'leadAttributeList' => self::unsubscribedAttr('true')]);
        $out['step2'] = [
            'sync' => $sync,
            'unsubscribed' => ['a' => $this->unsubscribed($A), 'b' => $this->unsubscribed($B)],
            'change' => ['a' => $this->unsubscribeChange($A), 'b' => $this->unsubscribeChange($B)],
        ];

        // 3. Delete A (extension operation); create C with the same address, Unsubscribed=false.
        $deleted = $this->call('deleteLead', ['leadKey' => ['keyType' => 'IDNUM', 'keyValue' => (string) $A]])->result;
        $multi = $this->call('syncMultipleLeads', [
            'leadRecordList' => ['leadRecord' => [
                ['Email' => 'ann@example.com', 'leadAttributeList' => self::unsubscribedAttr('false')],
            ]],
            'dedupEnabled' => false,
        ])->result;
        $statuses = $multi->syncStatusList->syncStatus;
        if (count($statuses) !== 1) {
            throw new RuntimeException('syncMultipleLeads returned ' . count($statuses) . ' statuses');
        }
        $c = self::outcome($statuses[0]);
        $C = $c['leadId'];
        $out['step3'] = [
            'deleted' => [
                'count' => $deleted->count,
                'leadIds' => array_map('intval', $deleted->leadIdList->leadId ?? []),
            ],
            'c' => $c,
            'unsubscribed' => ['c' => $this->unsubscribed($C)],
            'change' => ['c' => $this->unsubscribeChange($C)],
        ];

        // 4. C to an address never seen, then back.
        $toCarl = $this->syncLead(['Id' => $C, 'Email' => 'carl@example.com']);
        $cLead = $this->lead($C);
        $step4 = ['toCarl' => [
            'sync' => $toCarl,
            'c' => mktows_attribute($cLead, 'Unsubscribed'),
            'cEmail' => $cLead->Email,
            'b' => $this->unsubscribed($B),
        ]];
        $back = $this->syncLead(['Id' => $C, 'Email' => 'ann@example.com']);
        $cLead = $this->lead($C);
        $step4['back'] = ['sync' => $back, 'c' => mktows_attribute($cLead, 'Unsubscribed'), 'cEmail' => $cLead->Email];
        $out['step4'] = $step4;

        // 5. Re-subscribe B.
        $sync = $this->syncLead(['Id' => $B, 'leadAttributeList' => self::unsubscribedAttr('false')]);
        $out['step5'] = [
            'sync' => $sync,
            'unsubscribed' => ['b' => $this->unsubscribed($B), 'c' => $this->unsubscribed($C)],
            'change' => ['c' => $this->unsubscribeChange($C)],
        ];

        // 6. Every lead of the address, however it is spelled.
        $found = $this->call('getLead', ['leadKey' => ['keyType' => 'EMAIL', 'keyValue' => 'Ann@EXAMPLE.com']])->result;
        $out['step6'] = [
            'count' => $found->count,
            'leads' => array_map(fn (object $r) => [
                'id' => $r->Id,
                'email' => $r->Email,
                'unsubscribed' => mktows_attribute($r, 'Unsubscribed'),
            ], $found->leadRecordList->leadRecord),
        ];

        // A fault reaches SoapClient as a SoapFault.
        try {
            $this->call('getLead', ['leadKey' => ['keyType' => 'EMAIL', 'keyValue' => 'nobody@example.com']]);
            throw new RuntimeException('getLead of an unknown address did not fault');
        } catch (SoapFault $fault) {
            $out['fault'] = [
                'faultcode' => $fault->faultcode,
                'faultstring' => $fault->faultstring,
                'code' => mktows_fault_code($fault),
            ];
        }
        return $out;
    }
}

if ($argc !== 4) {
    fwrite(STDERR, "usage: php {$argv[0]} WSDL_URL USER_ID ENCRYPTION_KEY\n");
    exit(2);
}
try {
    $report = (new WorkedExample($argv[1], $argv[2], $argv[3]))->run();
} catch (SoapFault $fault) {
    fwrite(STDERR, "unexpected SOAP fault: {$fault->faultcode} {$fault->faultstring} (code " . mktows_fault_code($fault) . ")\n");
    exit(1);
} catch (Throwable $error) {
    fwrite(STDERR, 'worked example failed: ' . get_class($error) . ': ' . $error->getMessage() . "\n");
    exit(1);
}
echo json_encode($report, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES), "\n";
