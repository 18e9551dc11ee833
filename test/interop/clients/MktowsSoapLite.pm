package MktowsSoapLite;
# What the SOAP::Lite interop clients (soap_lite_client.pl, soap_lite_multi_refs.pl) share: the
# client as Perl integrations set it up, the vendor's signed AuthenticationHeader, one call with
# the params element in the vendor's namespace, and reading what came back.
#
#   use FindBin qw($Bin);
#   use lib $Bin;
#   use MktowsSoapLite qw(ok all_of attributes_of);
#   my $mktows = MktowsSoapLite->new($endpoint, $user_id, $encryption_key);
#   my $som = ok('getLead', $mktows->call('paramsGetLead', SOAP::Data->name(leadKey => {...})));
use strict;
use warnings;

use Digest::SHA qw(hmac_sha1_hex);
use Exporter qw(import);
use POSIX qw(strftime);
use SOAP::Lite;

our @EXPORT_OK = qw(ok all_of attributes_of);

our $NS = 'http://www.marketo.com/mktows/';

# A SOAP::Lite client of the endpoint. Faults are read from the SOM, as integrations did; a
# transport error dies.
sub new {
    my ($class, $endpoint, $user_id, $encryption_key) = @_;
    my $soap = SOAP::Lite->uri($NS)->proxy($endpoint, timeout => 30);
    $soap->on_fault(sub {
        my ($soap, $res) = @_;
        return $res if ref $res;
        die 'transport error: ' . $soap->transport->status . "\n";
    });
    return bless { soap => $soap, user_id => $user_id, key => $encryption_key }, $class;
}

sub soap { return $_[0]{soap}; }

# The vendor's signature: hex HMAC-SHA1(key, timestamp . user id); a W3C timestamp with offset.
# Made afresh for each call: the service refuses a timestamp too far from its clock.
sub auth_header {
    my ($self) = @_;
    my $z = strftime('%z', localtime);
    my $ts = strftime('%Y-%m-%dT%H:%M:%S', localtime) . substr($z, 0, 3) . ':' . substr($z, 3);
    return SOAP::Header->name('AuthenticationHeader')->prefix('ns1')->uri($NS)->value(
        \SOAP::Data->value(
            SOAP::Data->name(mktowsUserId => $self->{user_id}),
            SOAP::Data->name(requestSignature => hmac_sha1_hex($ts . $self->{user_id}, $self->{key})),
            SOAP::Data->name(requestTimestamp => $ts),
        )
    );
}

# One call: the params element in the vendor's namespace, then the headers (the
# AuthenticationHeader, and any SOAP::Header among the members). Returns the SOM, fault or not.
sub call {
    my ($self, $params, @members) = @_;
    my @headers = ($self->auth_header, grep { ref $_ eq 'SOAP::Header' } @members);
    my @body = grep { ref $_ ne 'SOAP::Header' } @members;
    return $self->{soap}->call(SOAP::Data->name($params)->prefix('ns1')->uri($NS) => @body, @headers);
}

# The SOM of a call that had to succeed; dies with the fault otherwise.
sub ok {
    my ($what, $som) = @_;
    die "$what: fault " . $som->faultcode . ' ' . $som->faultstring . "\n" if $som->fault;
    return $som;
}

# The list under a path, whether the toolkit found one element there or several.
sub all_of { my ($som, $path) = @_; my @v = $som->valueof($path); return @v; }

# A record's attributes by name (SOAP::Lite reads a list of one as the element itself).
sub attributes_of {
    my ($record) = @_;
    my $list = $record->{leadAttributeList} or return {};
    my $items = $list->{attribute};
    $items = [$items] if ref $items eq 'HASH';
    return { map { $_->{attrName} => $_->{attrValue} } @$items };
}

1;
