use strict;
use warnings;

# A Perl integration that gives several lead records one attribute list: the same hash
# reference in each, as Perl code shares a value. SOAP::Lite writes a value it meets more than
# once a single time, as a multi-reference value after the params element (id="ref-…"), and
# each place that holds it as href="#ref-…"; the vendor's server read it in place.
#
#   perl soap_lite_shared.pl ENDPOINT_URL USER_ID ENCRYPTION_KEY
#
# Prints one JSON line: whether the request held references, the batch's statuses, and the
# Company and LeadSource each person has since (test/interop/soap-lite.test.ts checks it).

use Digest::SHA qw(hmac_sha1_hex);
use JSON::PP;
use POSIX qw(strftime);
use SOAP::Lite;

my ($endpoint, $user_id, $encryption_key) = @ARGV;
die "usage: $0 ENDPOINT_URL USER_ID ENCRYPTION_KEY\n" unless defined $encryption_key;

my $NS = 'http://www.marketo.com/mktows/';
my $soap = SOAP::Lite->uri($NS)->proxy($endpoint, timeout => 30);
$soap->on_fault(sub {
    my ($soap, $res) = @_;
    return $res if ref $res;
    die 'transport error: ' . $soap->transport->status . "\n";
});
my $sent = '';
$soap->transport->add_handler(request_send => sub { $sent = $_[0]->content; return; });

sub auth_header {
    my $z = strftime('%z', localtime);
    my $ts = strftime('%Y-%m-%dT%H:%M:%S', localtime) . substr($z, 0, 3) . ':' . substr($z, 3);
    return SOAP::Header->name('AuthenticationHeader')->prefix('ns1')->uri($NS)->value(
        \SOAP::Data->value(
            SOAP::Data->name(mktowsUserId => $user_id),
            SOAP::Data->name(requestSignature => hmac_sha1_hex($ts . $user_id, $encryption_key)),
            SOAP::Data->name(requestTimestamp => $ts),
        )
    );
}

sub call {
    my ($params, @body) = @_;
    my $som = $soap->call(SOAP::Data->name($params)->prefix('ns1')->uri($NS) => @body, auth_header());
    die "$params: fault " . $som->faultcode . ' ' . $som->faultstring . "\n" if $som->fault;
    return $som;
}

my $run = strftime('%H%M%S', localtime) . $$;
my @emails = map { "shared.$_.$run\@example.com" } 1 .. 3;

# One attribute list for every record: the same reference in each.
my $shared = \SOAP::Data->value(
    SOAP::Data->name(attribute => { attrName => 'Company', attrValue => 'Acme' }),
    SOAP::Data->name(attribute => { attrName => 'LeadSource', attrValue => 'Perl import' }));
my $batch = call('paramsSyncMultipleLeads',
    SOAP::Data->name(leadRecordList => \SOAP::Data->value(map {
        SOAP::Data->name(leadRecord => \SOAP::Data->value(
            SOAP::Data->name(Email => $_), SOAP::Data->name(leadAttributeList => $shared)))
    } @emails)),
    SOAP::Data->name(dedupEnabled => 'true'));
my $references = () = $sent =~ /href="#/g;
my @statuses = map { $_->{status} } $batch->valueof('//successSyncMultipleLeads/result/syncStatusList/syncStatus');

my @people;
for my $email (@emails) {
    my $som = call('paramsGetLead', SOAP::Data->name(leadKey => { keyType => 'EMAIL', keyValue => $email }));
    my $record = $som->valueof('//successGetLead/result/leadRecordList/leadRecord');
    my $items = $record->{leadAttributeList}{attribute};
    $items = [$items] if ref $items eq 'HASH';
    my %a = map { $_->{attrName} => $_->{attrValue} } @$items;
    push @people, { Company => $a{Company}, LeadSource => $a{LeadSource} };
}

print JSON::PP->new->canonical->encode({ references => $references, statuses => \@statuses, people => \@people }), "\n";
