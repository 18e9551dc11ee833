<?php
/**
 * Loads Debian's NuSOAP 0.9.5 (/usr/share/php/nusoap/nusoap.php) on PHP 8. Its classes have
 * PHP 4 constructors (a method named as the class), which PHP 8 no longer calls: `new
 * nusoap_client(…)` would make a client that never read its arguments. Each such class gets a
 * __construct calling that method, as the maintained fork of NuSOAP renamed them; nothing else
 * of NuSOAP changes. NuSOAP's own deprecation notices under PHP 8 are not shown.
 */

error_reporting(E_ALL & ~E_DEPRECATED);

(function () {
    $source = file_get_contents('/usr/share/php/nusoap/nusoap.php');
    $source = preg_replace_callback('/^class (\w+)\b.*?(?=^class |\z)/ms', function (array $class): string {
        $name = $class[1];
        return preg_replace(
            '/(\n\s*)function ' . $name . '\s*\(/',
            '$1function __construct() { call_user_func_array([$this, \'' . $name . '\'], func_get_args()); }$1function ' . $name . '(',
            $class[0],
            1
        );
    }, $source);
    eval('?>' . $source);
})();
