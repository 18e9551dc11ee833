package MktowsSoapWsdl;
# What the SOAP::WSDL interop clients (soap_wsdl_client.pl, soap_wsdl_operations.pl,
# soap_wsdl_interpreted.pl) share: the vendor's signed AuthenticationHeader parts, a value that
# may be one or several, and the Unsubscribed Change Data Value of a page of activities as the
# client reported it.
#
#   use FindBin qw($Bin);
#   use lib $Bin;
#   use MktowsSoapWsdl qw(signed_auth list unsubscribe_change);
use strict;
use warnings;

use Digest::SHA qw(hmac_sha1_hex);
use Exporter qw(import);
use POSIX qw(strftime);

our @EXPORT_OK = qw(signed_auth list unsubscribe_change);

# The AuthenticationHeader's members: the signature is HMAC-SHA1 of the timestamp (local time
# with its offset, as integrations wrote it) and the user id, under the encryption key.
sub signed_auth {
    my ($user_id, $encryption_key) = @_;
    my $z = strftime('%z', localtime);
    my $ts = strftime('%Y-%m-%dT%H:%M:%S', localtime) . substr($z, 0, 3) . ':' . substr($z, 3);
    return { mktowsUserId => $user_id, requestSignature => hmac_sha1_hex($ts . $user_id, $encryption_key),
             requestTimestamp => $ts };
}

# SOAP::WSDL gives a list only where several came: one value or none as a list too.
sub list { my ($v) = @_; return () unless defined $v; return ref $v eq 'ARRAY' ? @$v : ($v); }

# The Change Data Value of Unsubscribed in a page the client reported ({ records => [...] }).
sub unsubscribe_change {
    my ($page) = @_;
    for my $r (@{ $page->{records} }) {
        my $a = $r->{attributes};
        next unless $r->{activityType} eq 'Change Data Value' && ($a->{'Attribute Name'} // '') eq 'Unsubscribed';
        return { oldValue => $a->{'Old Value'}, newValue => $a->{'New Value'}, reason => $a->{Reason} };
    }
    return undef;
}

1;
