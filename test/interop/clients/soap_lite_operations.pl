#!/usr/bin/perl
# The operations soap_lite_client.pl leaves out, as a Perl SOAP::Lite integration calls them
# (no WSDL, SOAP::Data by hand, SOAP::Lite's defaults: xsi:type on every value, its own
# prefixes, SOAPAction "uri#method"): getMultipleLeads by a LeadKeySelector named by xsi:type
# (the prefix bound on the element itself) and by a LastUpdateAtSelector, getLeadChanges from a
# date, mergeLeads, deleteLead, listMObjects, describeMObject, and an operation not served.
#
#   perl soap_lite_operations.pl ENDPOINT_URL USER_ID ENCRYPTION_KEY
#
# Prints one JSON line of what SOAP::Lite read (test/interop/soap-lite.test.ts).
use strict;
use warnings;

use FindBin qw($Bin);
use JSON::PP;
use POSIX qw(strftime);
use SOAP::Lite;
use lib $Bin;
use MktowsSoapLite qw(ok all_of attributes_of);

my ($endpoint, $user_id, $encryption_key) = @ARGV;
die "usage: $0 ENDPOINT_URL USER_ID ENCRYPTION_KEY\n" unless defined $encryption_key;

my $mktows = MktowsSoapLite->new($endpoint, $user_id, $encryption_key);
my $NS = $MktowsSoapLite::NS;

sub struct { my ($name, @members) = @_; return SOAP::Data->name($name => \SOAP::Data->value(@members)); }
sub field { return SOAP::Data->name($_[0] => $_[1]); }
sub key_list {
    my ($name, @keys) = @_;
    return struct($name, map { struct('attribute', field(attrName => $_->[0]), field(attrValue => $_->[1])) } @keys);
}
sub fault_of {
    my ($som) = @_;
    return undef unless $som->fault;
    return scalar $som->valueof('//detail/serviceException/code');
}

my $run = strftime('%H%M%S', localtime) . $$;
my @emails = map { "op$_.$run\@example.com" } 1 .. 4;
my %out = (client => "SOAP::Lite $SOAP::Lite::VERSION");
my $since = strftime('%Y-%m-%dT%H:%M:%S', gmtime(time - 60)) . '+00:00';

my $batch = ok('syncMultipleLeads', $mktows->call('paramsSyncMultipleLeads',
    struct('leadRecordList', map { struct('leadRecord', field(Email => $_)) } @emails)));
my @ids = map { 0 + $_->{leadId} } all_of($batch, '//successSyncMultipleLeads/result/syncStatusList/syncStatus');
$out{ids} = \@ids;

# getMultipleLeads: a LeadKeySelector chosen by xsi:type, two a page, the position passed back.
my @pages;
my $position = '';
for (1 .. 3) {
    my $som = ok('getMultipleLeads', $mktows->call('paramsGetMultipleLeads',
        struct('leadSelector', field(keyType => 'IDNUM'),
            struct('keyValues', map { field(stringItem => $_) } @ids[0 .. 2]))
            ->attr({ 'xmlns:mkt' => $NS, 'xsi:type' => 'mkt:LeadKeySelector' }),
        ($position ne '' ? field(streamPosition => $position) : ()),
        field(batchSize => 2)));
    my $r = '//successGetMultipleLeads/result';
    push @pages, { returnCount => 0 + $som->valueof("$r/returnCount"), remainingCount => 0 + $som->valueof("$r/remainingCount"),
        ids => [map { 0 + $_->{Id} } all_of($som, "$r/leadRecordList/leadRecord")] };
    $position = $som->valueof("$r/newStreamPosition") // '';
    last if $position eq '';
}
$out{byKeys} = \@pages;

my $updated = ok('getMultipleLeads', $mktows->call('paramsGetMultipleLeads',
    struct('leadSelector', field(oldestUpdatedAt => $since))->attr({ 'xsi:type' => 'ns1:LastUpdateAtSelector' }),
    field(batchSize => 1000)));
$out{byUpdate} = [map { 0 + $_->{Id} } all_of($updated, '//successGetMultipleLeads/result/leadRecordList/leadRecord')];

# getLeadChanges: New Lead activities since a minute ago.
my $changes = ok('getLeadChanges', $mktows->call('paramsGetLeadChanges',
    struct('startPosition', field(oldestCreatedAt => $since)),
    struct('activityFilter', struct('includeTypes', field(activityType => 'NewLead'))),
    field(batchSize => 1000)));
$out{changes} = [map { 0 + $_->{mktPersonId} } all_of($changes, '//successGetLeadChanges/result/leadChangeRecordList/leadChangeRecord')];

# mergeLeads: the first wins over the second (by address).
my $merge = ok('mergeLeads', $mktows->call('paramsMergeLeads',
    key_list('winningLeadKeyList', ['IDNUM', $ids[0]]),
    struct('losingLeadKeyLists', key_list('keyList', ['EMAIL', $emails[1]]))));
my $status = $merge->valueof('//successMergeLeads/result/mergeStatus');
$out{merge} = { status => $status->{status}, winner => 0 + $status->{winningLeadId},
    losers => [map { 0 + $_ } all_of($merge, '//successMergeLeads/result/mergeStatus/losingLeadIdList/integerItem')] };

# deleteLead (this service's own): the fourth person.
my $deleted = ok('deleteLead', $mktows->call('paramsDeleteLead',
    struct('leadKey', field(keyType => 'IDNUM'), field(keyValue => $ids[3]))));
$out{deleted} = { count => 0 + $deleted->valueof('//successDeleteLead/result/count') };

# listMObjects, then describeMObject of each.
my $objects = ok('listMObjects', $mktows->call('paramsListMObjects'));
$out{objects} = [all_of($objects, '//successListMObjects/result/objects')];
$out{described} = {};
for my $name (@{ $out{objects} }) {
    my $d = ok('describeMObject', $mktows->call('paramsDescribeMObject', field(objectName => $name)));
    my @fields = all_of($d, '//successDescribeMObject/result/metadata/fieldList/field');
    $out{described}{$name} = [map { $_->{name} } @fields];
}

# requestCampaign: not served, a fault SOAP::Lite reads.
$out{unserved} = fault_of($mktows->call('paramsRequestCampaign', field(source => 'MKTOWS'), field(campaignId => 1)));

print JSON::PP->new->canonical->encode(\%out), "\n";
