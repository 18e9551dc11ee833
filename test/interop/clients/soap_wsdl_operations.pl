#!/usr/bin/perl
# The served operations soap_wsdl_client.pl does not call, as SOAP::WSDL integrations called them
# through the interface wsdl2perl generated from the live ?WSDL.
#
#   perl soap_wsdl_operations.pl GENERATED_LIB ENDPOINT_URL USER_ID ENCRYPTION_KEY
#
# The abstract leadSelector given as an object of the generated derived class
# (MyTypes::LeadKeySelector, MyTypes::LastUpdateAtSelector): SOAP::WSDL writes its members and
# no xsi:type, which the service reads by those members. Positions are passed back as the
# objects SOAP::WSDL read. Prints one JSON object of what SOAP::WSDL read
# (test/interop/soap-wsdl-perl.test.ts checks it).
use strict;
use warnings;

use JSON::PP;
use POSIX qw(strftime);
use FindBin qw($Bin);
use lib $Bin;
use MktowsSoapWsdl qw(list signed_auth);

my ($lib, $endpoint, $user_id, $encryption_key) = @ARGV;
die "usage: $0 GENERATED_LIB ENDPOINT_URL USER_ID ENCRYPTION_KEY\n" unless defined $encryption_key;
unshift @INC, $lib;
require MyInterfaces::MktMktowsApiService::MktowsApiSoapPort;
require MyTypes::LeadKeySelector;
require MyTypes::LastUpdateAtSelector;

my $port = MyInterfaces::MktMktowsApiService::MktowsApiSoapPort->new({
    proxy => $endpoint,
    deserializer_args => { strict => 0 },
});

sub auth { return signed_auth($user_id, $encryption_key); }

sub ok {
    my ($what, $result) = @_;
    die "$what: " . $result->get_faultstring . "\n" unless $result;
    return $result;
}

sub ids_of { my ($list) = @_; return [map { 0 + $_->get_Id } list($list ? $list->get_leadRecord : undef)]; }

my $run = strftime('%H%M%S', localtime) . $$;
my @emails = map { "soap-wsdl-ops-$_-$run\@example.com" } 1 .. 4;
my $batch = ok('syncMultipleLeads', $port->syncMultipleLeads({
    leadRecordList => { leadRecord => [map { { Email => $_ } } @emails] },
    dedupEnabled => 'true',
}, auth()));
my @ids = map { 0 + $_->get_leadId } list($batch->get_result->get_syncStatusList->get_syncStatus);
my %out = (ids => \@ids);

my $by_keys = MyTypes::LeadKeySelector->new({ keyType => 'EMAIL', keyValues => { stringItem => [@emails[0 .. 2]] } });
my $first = ok('getMultipleLeads', $port->getMultipleLeads({ leadSelector => $by_keys, batchSize => 2 }, auth()))
    ->get_result;
my $second = ok('getMultipleLeads', $port->getMultipleLeads({
    leadSelector => $by_keys, streamPosition => $first->get_newStreamPosition, batchSize => 2,
}, auth()))->get_result;
$out{byKeys} = [map { {
    returnCount => 0 + $_->get_returnCount, remainingCount => 0 + $_->get_remainingCount,
    ids => ids_of($_->get_leadRecordList),
} } ($first, $second)];

my $an_hour_ago = strftime('%Y-%m-%dT%H:%M:%SZ', gmtime(time - 3600));
my $since = MyTypes::LastUpdateAtSelector->new({ oldestUpdatedAt => $an_hour_ago });
$out{byUpdate} = ids_of(ok('getMultipleLeads', $port->getMultipleLeads({ leadSelector => $since, batchSize => 100 },
    auth()))->get_result->get_leadRecordList);

# getLeadChanges: New Lead activities two a page, each position passed back as read.
my $position = { oldestCreatedAt => $an_hour_ago };
my %mine = map { ($_ => 1) } @ids;
my @changes;
for (1 .. 50) {
    my $page = ok('getLeadChanges', $port->getLeadChanges({
        startPosition => $position,
        activityFilter => { includeTypes => { activityType => ['NewLead'] } },
        batchSize => 2,
    }, auth()))->get_result;
    my $records = $page->get_leadChangeRecordList;
    push @changes, grep { $mine{$_} } map { 0 + $_->get_mktPersonId } list($records ? $records->get_leadChangeRecord : undef);
    last if $page->get_remainingCount == 0;
    $position = $page->get_newStartPosition;
}
$out{changes} = \@changes;

sub key_list { return { attribute => [{ attrName => 'IDNUM', attrValue => $_[0] }] }; }
my $merged = ok('mergeLeads', $port->mergeLeads({
    winningLeadKeyList => key_list($ids[0]),
    losingLeadKeyLists => { keyList => [key_list($ids[1])] },
}, auth()))->get_result->get_mergeStatus;
$out{merge} = { status => "" . $merged->get_status, winner => 0 + $merged->get_winningLeadId,
                losers => [map { 0 + $_ } list($merged->get_losingLeadIdList->get_integerItem)] };

my $deleted = ok('deleteLead', $port->deleteLead({ leadKey => { keyType => 'IDNUM', keyValue => $ids[3] } }, auth()))
    ->get_result;
$out{deleted} = { count => 0 + $deleted->get_count, leadIds => [map { 0 + $_ } list($deleted->get_leadIdList->get_leadId)] };

$out{objects} = [map { "$_" } list(ok('listMObjects', $port->listMObjects({}, auth()))->get_result->get_objects)];
$out{described} = { map {
    my $fields = ok('describeMObject', $port->describeMObject({ objectName => $_ }, auth()))
        ->get_result->get_metadata->get_fieldList;
    ($_ => [map { "" . $_->get_name } list($fields->get_field)]);
} @{ $out{objects} } };

my $unserved = $port->requestCampaign({ source => 'MKTOWS', leadList => {} }, auth());
$out{unserved} = $unserved ? undef : (($unserved->get_faultstring =~ /^(\d+) - /)[0]);
print JSON::PP->new->canonical->encode(\%out), "\n";
