<?php
/**
 * What the PHP interop clients (php_worked_example.php, php_operations.php,
 * php_legacy_client.php) share: signing and client set-up from examples/php, notices as
 * failures, the LeadRecord client class as integrations declared it, and a signed call.
 */

require_once __DIR__ . '/../../../examples/php/mktows_client.php';

// Notices and warnings are failures here: a quiet type juggle must not pass for success.
set_error_handler(function (int $severity, string $message, string $file, int $line): bool {
    throw new ErrorException($message, 0, $severity, $file, $line);
});

/**
 * LeadRecord as client classes of the vendor era declared it (wsdl2php and by hand): one
 * property per member, a member never set going out as an empty element.
 */
class LeadRecord
{
    public $Id;
    public $Email;
    public $ForeignSysPersonId;
    public $ForeignSysType;
    public $leadAttributeList;
}

/** Calls of `$client`, each with a freshly signed AuthenticationHeader (and any other headers). */
function mktows_signed_calls(SoapClient $client, string $userId, string $key): Closure
{
    return function (string $operation, array|object $params, array $headers = []) use ($client, $userId, $key) {
        $client->__setSoapHeaders(array_merge([mktows_authentication($userId, $key)], $headers));
        return $client->__soapCall($operation, [$params]);
    };
}
