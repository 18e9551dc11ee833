#!/usr/bin/perl
# An mktows integration as Perl shops wrote it with SOAP::Lite: no WSDL (SOAP::Lite's WSDL
# support never handled document/literal), the calls built with SOAP::Data, and everything else
# left at SOAP::Lite's defaults: its own namespace prefixes (soap:, namesp1:), xsi:type on every
# value, soap:encodingStyle on the Envelope, and the SOAPAction "uri#method".
#
#   perl soap_lite_client.pl ENDPOINT_URL USER_ID ENCRYPTION_KEY [joined|slashed]
#
# joined / slashed: the SOAPAction as integrations written for .NET services set it,
# on_action(sub { join '', @_ }) or on_action(sub { join '/', @_ }), instead of "uri#method".
#
# Prints one JSON line of what SOAP::Lite read from each answer (the shape of LegacyRun in
# test/interop/legacy-toolkits.ts), or dies with what went wrong. test/interop/soap-lite.test.ts
# runs it.
use strict;
use warnings;

use FindBin qw($Bin);
use JSON::PP;
use POSIX qw(strftime);
use SOAP::Lite;
use lib $Bin;
use MktowsSoapLite qw(ok all_of attributes_of);

my ($endpoint, $user_id, $encryption_key, $action_style) = @ARGV;
die "usage: $0 ENDPOINT_URL USER_ID ENCRYPTION_KEY [joined|slashed]\n" unless defined $encryption_key;
$action_style //= '';

my $mktows = MktowsSoapLite->new($endpoint, $user_id, $encryption_key);
my $soap = $mktows->soap;
$soap->on_action(sub { join '', @_ }) if $action_style eq 'joined';
$soap->on_action(sub { join '/', @_ }) if $action_style eq 'slashed';

sub context_header {
    my ($workspace) = @_;
    return SOAP::Header->name('MktowsContextHeader')->prefix('ns1')->uri($MktowsSoapLite::NS)
        ->value(\SOAP::Data->name(targetWorkspace => $workspace));
}

sub struct { my ($name, @members) = @_; return SOAP::Data->name($name => \SOAP::Data->value(@members)); }
sub field { return SOAP::Data->name($_[0] => $_[1]); }

sub attribute_list {
    my (%attributes) = @_;
    return struct('leadAttributeList', map {
        struct('attribute', field(attrName => $_), field(attrValue => $attributes{$_}))
    } sort keys %attributes);
}

sub leads_by_email {
    my ($email) = @_;
    # A hash, as most Perl scripts wrote a struct: its members in whatever order Perl keeps.
    my $som = ok('getLead', $mktows->call('paramsGetLead',
        SOAP::Data->name(leadKey => { keyType => 'EMAIL', keyValue => $email })));
    my $count = $som->valueof('//successGetLead/result/count');
    my @leads = map {
        my $a = attributes_of($_);
        { id => 0 + $_->{Id}, email => $_->{Email}, unsubscribed => $a->{Unsubscribed}, firstName => $a->{FirstName} }
    } all_of($som, '//successGetLead/result/leadRecordList/leadRecord');
    return { count => 0 + $count, leads => [sort { $a->{id} <=> $b->{id} } @leads] };
}

sub activities {
    my ($lead_id, $batch, $position) = @_;
    my @params = (
        struct('leadKey', field(keyType => 'IDNUM'), field(keyValue => $lead_id)),
        $position ? struct('startPosition', map { field($_ => $position->{$_}) }
            grep { defined $position->{$_} } qw(latestCreatedAt oldestCreatedAt activityCreatedAt offset)) : (),
        field(batchSize => $batch),
    );
    my $som = ok('getLeadActivity', $mktows->call('paramsGetLeadActivity', @params));
    my $list = '//successGetLeadActivity/leadActivityList';
    my @records = map {
        my $a = attributes_of({ leadAttributeList => $_->{activityAttributes} });
        { id => 0 + $_->{id}, activityType => $_->{activityType}, attributes => $a }
    } all_of($som, "$list/activityRecordList/activityRecord");
    return {
        returnCount => 0 + $som->valueof("$list/returnCount"),
        remainingCount => 0 + $som->valueof("$list/remainingCount"),
        newStartPosition => scalar $som->valueof("$list/newStartPosition"),
        records => \@records,
    };
}

sub unsubscribe_change {
    my ($page) = @_;
    for my $r (@{ $page->{records} }) {
        next unless $r->{activityType} eq 'Change Data Value' && ($r->{attributes}{'Attribute Name'} // '') eq 'Unsubscribed';
        return { oldValue => $r->{attributes}{'Old Value'}, newValue => $r->{attributes}{'New Value'}, reason => $r->{attributes}{Reason} };
    }
    return undef;
}

my $run = strftime('%H%M%S', localtime) . $$;
my $ann = "ann.$run\@example.com";
my $bob = "bob.$run\@example.com";
my %out = (client => "SOAP::Lite $SOAP::Lite::VERSION");

# 1. syncMultipleLeads: two people and a record with an attribute nobody has.
my $batch = ok('syncMultipleLeads', $mktows->call('paramsSyncMultipleLeads',
    struct('leadRecordList',
        struct('leadRecord', field(Email => $ann), attribute_list(FirstName => 'Ann')),
        struct('leadRecord', field(Email => $bob), attribute_list(FirstName => 'Bob')),
        struct('leadRecord', field(Email => "bad.$run\@example.com"), attribute_list(NoSuchField => 'x'))),
    field(dedupEnabled => 'true')));
my @statuses = all_of($batch, '//successSyncMultipleLeads/result/syncStatusList/syncStatus');
$out{batch} = [map { { leadId => 0 + $_->{leadId}, status => $_->{status} } } @statuses];

# 2. syncLead: the same address, other case and spaces, with a foreign id (so that the address
# does not find Ann) in partition East.
my $east = ok('syncLead', $mktows->call('paramsSyncLead',
    struct('leadRecord', field(Email => ' ' . uc($ann) . ' '), field(ForeignSysPersonId => "legacy-$run")),
    field(returnLead => 'false'), context_header('East')));
$out{east} = { leadId => 0 + $east->valueof('//successSyncLead/result/leadId'),
    status => $east->valueof('//successSyncLead/result/syncStatus/status') };

$out{before} = leads_by_email($ann);

# 3. syncLead: unsubscribe Ann by her Id, the record returned.
my $a_id = $out{batch}[0]{leadId};
my $unsub = ok('syncLead', $mktows->call('paramsSyncLead',
    struct('leadRecord', field(Id => $a_id), attribute_list(Unsubscribed => 'true')),
    field(returnLead => 'true')));
$out{unsubscribe} = {
    leadId => 0 + $unsub->valueof('//successSyncLead/result/leadId'),
    status => $unsub->valueof('//successSyncLead/result/syncStatus/status'),
    returned => attributes_of(scalar $unsub->valueof('//successSyncLead/result/leadRecord'))->{Unsubscribed},
};

$out{after} = leads_by_email($ann);
$out{bob} = leads_by_email($bob);

# 4. getLeadActivity: each person's Unsubscribed change; Ann's history a page of one at a time.
$out{change} = {
    a => unsubscribe_change(activities($a_id, 100)),
    east => unsubscribe_change(activities($out{east}{leadId}, 100)),
};
my $first = activities($a_id, 1);
my $second = activities($a_id, 1, { offset => undef, %{ $first->{newStartPosition} // {} } });
$out{pages} = [map { { returnCount => $_->{returnCount}, remainingCount => $_->{remainingCount},
    ids => [map { $_->{id} } @{ $_->{records} }], types => [map { $_->{activityType} } @{ $_->{records} }] } } ($first, $second)];

# 5. A fault: getLead of an address nobody has, called as a method of the client (SOAP::Lite
# then writes the params element in a default namespace, which its members inherit).
my $fault = $soap->paramsGetLead(
    struct('leadKey', field(keyType => 'EMAIL'), field(keyValue => "nobody.$run\@example.com")),
    $mktows->auth_header);
$out{fault} = $fault->fault ? {
    faultcode => $fault->faultcode,
    faultstring => $fault->faultstring,
    code => scalar $fault->valueof('//detail/serviceException/code'),
} : undef;

print JSON::PP->new->canonical->encode(\%out), "\n";
