#!/usr/bin/perl
# Lists as Perl integrations wrote them most simply: a hash whose repeated member is an array
# reference (leadRecord => [ {...}, {...} ]). SOAP::Lite serializes an array reference as a
# SOAP-ENC array: the member's element once, typed soapenc:Array, each value an <item>.
#
#   perl soap_lite_array_refs.pl ENDPOINT_URL USER_ID ENCRYPTION_KEY
#
# syncMultipleLeads (records and their attributes as array references), getMultipleLeads by a
# LeadKeySelector whose keys are one, getLeadChanges filtered by two activity types, mergeLeads
# with its losing key lists one; empty array references (an empty list: no attribute, no
# activity type, no attribute named) in syncLead, getLeadActivity and getMultipleLeads. Prints
# one JSON line; test/interop/soap-lite.test.ts runs it.
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
my $arrays = 0;
$mktows->soap->transport->add_handler(request_send => sub {
    $arrays += () = $_[0]->content =~ /xsi:type="soapenc:Array"/g;
    return;
});
my $NS = $MktowsSoapLite::NS;
my $since = strftime('%Y-%m-%dT%H:%M:%S+00:00', gmtime(time - 60));
my $run = sprintf('%d-%d', time, $$);
my @emails = map { "soap-lite-array-$_-$run\@example.com" } 1 .. 3;

my $batch = ok('syncMultipleLeads', $mktows->call('paramsSyncMultipleLeads',
    SOAP::Data->name(leadRecordList => { leadRecord => [ map { {
        Email => $_,
        leadAttributeList => { attribute => [
            { attrName => 'FirstName', attrValue => 'Perl' },
            { attrName => 'City', attrValue => 'Lisbon' },
        ] },
    } } @emails ] }),
    SOAP::Data->name(dedupEnabled => 'true')));
my @statuses = all_of($batch, '//successSyncMultipleLeads/result/syncStatusList/syncStatus');
my @ids = map { 0 + $_->{leadId} } @statuses;

my $keys = ok('getMultipleLeads', $mktows->call('paramsGetMultipleLeads',
    SOAP::Data->name(leadSelector => { keyType => 'EMAIL', keyValues => { stringItem => [@emails] } })
        ->attr({ 'xmlns:mkt' => $NS, 'xsi:type' => 'mkt:LeadKeySelector' }),
    SOAP::Data->name(batchSize => 10)));
my @found = all_of($keys, '//successGetMultipleLeads/result/leadRecordList/leadRecord');

my $changes = ok('getLeadChanges', $mktows->call('paramsGetLeadChanges',
    SOAP::Data->name(startPosition => { oldestCreatedAt => $since }),
    SOAP::Data->name(activityFilter => { includeTypes => { activityType => ['NewLead', 'MergeLeads'] } }),
    SOAP::Data->name(batchSize => 1000)));
my %mine = map { $_ => 1 } @ids;
my @changed = grep { $mine{$_} }
    map { 0 + $_->{mktPersonId} } all_of($changes, '//successGetLeadChanges/result/leadChangeRecordList/leadChangeRecord');

my $merged = ok('mergeLeads', $mktows->call('paramsMergeLeads',
    SOAP::Data->name(winningLeadKeyList => { attribute => [ { attrName => 'IDNUM', attrValue => $ids[0] } ] }),
    SOAP::Data->name(losingLeadKeyLists => { keyList => [
        { attribute => [ { attrName => 'IDNUM', attrValue => $ids[1] } ] },
        { attribute => [ { attrName => 'IDNUM', attrValue => $ids[2] } ] },
    ] })));

# Empty lists, as a Perl hash holds them: [] (a soapenc:Array of no item).
my $bare = "soap-lite-array-empty-$run\@example.com";
my $empty_sync = ok('syncLead (no attribute)', $mktows->call('paramsSyncLead',
    SOAP::Data->name(leadRecord => { Email => $bare, leadAttributeList => { attribute => [] } }),
    SOAP::Data->name(returnLead => 'false')));
my $all_types = ok('getLeadActivity (no activity type)', $mktows->call('paramsGetLeadActivity',
    SOAP::Data->name(leadKey => { keyType => 'EMAIL', keyValue => $bare }),
    SOAP::Data->name(activityFilter => { includeTypes => { activityType => [] } })));
my $all_fields = ok('getMultipleLeads (no attribute named)', $mktows->call('paramsGetMultipleLeads',
    SOAP::Data->name(leadSelector => { keyType => 'EMAIL', keyValues => { stringItem => [$bare] } })
        ->attr({ 'xmlns:mkt' => $NS, 'xsi:type' => 'mkt:LeadKeySelector' }),
    SOAP::Data->name(includeAttributes => { stringItem => [] })));
my ($bare_record) = all_of($all_fields, '//successGetMultipleLeads/result/leadRecordList/leadRecord');

print JSON::PP->new->canonical->encode({
    client   => "SOAP::Lite $SOAP::Lite::VERSION",
    arrays   => $arrays,
    statuses => [map { $_->{status} } @statuses],
    ids      => \@ids,
    found    => [sort { $a->{id} <=> $b->{id} } map {
        my $a = attributes_of($_);
        { id => 0 + $_->{Id}, FirstName => $a->{FirstName}, City => $a->{City} }
    } @found],
    changed  => [sort { $a <=> $b } @changed],
    merge    => $merged->valueof('//successMergeLeads/result/mergeStatus/status'),
    empty    => {
        sync       => $empty_sync->valueof('//successSyncLead/result/syncStatus/status'),
        activities => 0 + $all_types->valueof('//successGetLeadActivity/leadActivityList/returnCount'),
        fields     => [sort keys %{ attributes_of($bare_record) }],
    },
}), "\n";
