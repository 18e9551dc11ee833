#!/usr/bin/perl
# The legacy run with SOAP::WSDL's interpreting client, the 1.2x-style API its newer releases
# keep: SOAP::WSDL->new(wsdl => ...?WSDL) reads the WSDL at run time, call('op', $body, $header)
# serializes the body by its schema and answers a SOAP::SOM (as SOAP::Lite's). As its users
# learned: the body is keyed by the part's element (paramsX), and the header goes as the XML of
# its entries (a hash reference there is written as its Perl address).
#
#   perl soap_wsdl_interpreted.pl WSDL_URL USER_ID ENCRYPTION_KEY
#
# Prints one JSON line of what SOAP::WSDL read (LegacyRun in test/interop/legacy-toolkits.ts).
use strict;
use warnings;

use JSON::PP;
use POSIX qw(strftime);
use FindBin qw($Bin);
use lib $Bin;
use MktowsSoapWsdl qw(list unsubscribe_change signed_auth);
use SOAP::WSDL;

my ($wsdl_url, $user_id, $encryption_key) = @ARGV;
die "usage: $0 WSDL_URL USER_ID ENCRYPTION_KEY\n" unless defined $encryption_key;

my $soap = SOAP::WSDL->new(wsdl => $wsdl_url);
my $MKTOWS = 'http://www.marketo.com/mktows/';

sub header {
    my ($workspace) = @_;
    my $auth = signed_auth($user_id, $encryption_key);
    my $xml = qq{<AuthenticationHeader xmlns="$MKTOWS"><mktowsUserId xmlns="">$user_id</mktowsUserId>}
        . qq{<requestSignature xmlns="">$auth->{requestSignature}</requestSignature>}
        . qq{<requestTimestamp xmlns="">$auth->{requestTimestamp}</requestTimestamp></AuthenticationHeader>};
    $xml .= qq{<MktowsContextHeader xmlns="$MKTOWS"><targetWorkspace xmlns="">$workspace</targetWorkspace>}
        . q{</MktowsContextHeader>} if defined $workspace;
    return $xml;
}

sub call {
    my ($operation, $params, $workspace) = @_;
    my $som = $soap->call($operation, { 'params' . ucfirst($operation) => $params }, header($workspace));
    die "$operation: " . $som->faultstring . "\n" if $som->fault;
    return $som;
}


sub attributes {
    my ($list) = @_;
    return {} unless ref $list eq 'HASH';
    return { map { ($_->{attrName} => $_->{attrValue}) } list($list->{attribute}) };
}

sub record {
    my (%r) = @_;
    my $attrs = delete $r{attributes};
    $r{leadAttributeList} = { attribute => [map { { attrName => $_, attrValue => $attrs->{$_} } } sort keys %$attrs] }
        if $attrs;
    return \%r;
}

sub leads_by_email {
    my ($email) = @_;
    my $result = call('getLead', { leadKey => { keyType => 'EMAIL', keyValue => $email } })
        ->valueof('//successGetLead/result');
    my @leads = map {
        my $a = attributes($_->{leadAttributeList});
        { id => 0 + $_->{Id}, email => $_->{Email}, unsubscribed => $a->{Unsubscribed}, firstName => $a->{FirstName} }
    } list(ref $result->{leadRecordList} ? $result->{leadRecordList}{leadRecord} : undef);
    return { count => 0 + $result->{count}, leads => [sort { $a->{id} <=> $b->{id} } @leads] };
}

sub activities {
    my ($lead_id, $batch, $position) = @_;
    my $page = call('getLeadActivity', {
        leadKey => { keyType => 'IDNUM', keyValue => $lead_id },
        defined $position ? (startPosition => $position) : (),
        batchSize => $batch,
    })->valueof('//successGetLeadActivity/leadActivityList');
    my @records = map {
        { id => 0 + $_->{id}, activityType => $_->{activityType}, attributes => attributes($_->{activityAttributes}) }
    } list(ref $page->{activityRecordList} ? $page->{activityRecordList}{activityRecord} : undef);
    return { returnCount => 0 + $page->{returnCount}, remainingCount => 0 + $page->{remainingCount},
             newStartPosition => $page->{newStartPosition}, records => \@records };
}

my $run = strftime('%H%M%S', localtime) . $$;
my ($ann, $bob) = ("ann.$run\@example.com", "bob.$run\@example.com");
my %out = (client => "SOAP::WSDL $SOAP::WSDL::VERSION (interpreted)");

my $batch = call('syncMultipleLeads', {
    leadRecordList => { leadRecord => [
        record(Email => $ann, attributes => { FirstName => 'Ann' }),
        record(Email => $bob, attributes => { FirstName => 'Bob' }),
        record(Email => "bad.$run\@example.com", attributes => { NoSuchField => 'x' }),
    ] },
    dedupEnabled => 'true',
});
$out{batch} = [map { { leadId => 0 + $_->{leadId}, status => $_->{status} } }
    $batch->valueof('//successSyncMultipleLeads/result/syncStatusList/syncStatus')];

my $east = call('syncLead', {
    leadRecord => record(Email => ' ' . uc($ann) . ' ', ForeignSysPersonId => "legacy-$run"),
    returnLead => 'false',
}, 'East')->valueof('//successSyncLead/result');
$out{east} = { leadId => 0 + $east->{leadId}, status => $east->{syncStatus}{status} };

$out{before} = leads_by_email($ann);

my $a_id = $out{batch}[0]{leadId};
my $unsub = call('syncLead', {
    leadRecord => record(Id => $a_id, attributes => { Unsubscribed => 'true' }),
    returnLead => 'true',
})->valueof('//successSyncLead/result');
$out{unsubscribe} = { leadId => 0 + $unsub->{leadId}, status => $unsub->{syncStatus}{status},
    returned => attributes($unsub->{leadRecord}{leadAttributeList})->{Unsubscribed} };

$out{after} = leads_by_email($ann);
$out{bob} = leads_by_email($bob);

$out{change} = { a => unsubscribe_change(activities($a_id, 100)),
                 east => unsubscribe_change(activities($out{east}{leadId}, 100)) };
my $first = activities($a_id, 1);
my $second = activities($a_id, 1, $first->{newStartPosition});
$out{pages} = [map { {
    returnCount => $_->{returnCount}, remainingCount => $_->{remainingCount},
    ids => [map { $_->{id} } @{ $_->{records} }], types => [map { $_->{activityType} } @{ $_->{records} }],
} } ($first, $second)];

my $fault = $soap->call('getLead', { paramsGetLead => { leadKey => { keyType => 'EMAIL', keyValue => "nobody.$run\@example.com" } } },
    header());
$out{fault} = $fault->fault
    ? { faultcode => $fault->faultcode, faultstring => $fault->faultstring,
        code => $fault->faultdetail->{serviceException}{code} }
    : undef;
print JSON::PP->new->canonical->encode(\%out), "\n";
