#!/usr/bin/perl
# An mktows integration as Perl shops wrote it with SOAP::WSDL: interface classes generated from
# the live ?WSDL by wsdl2perl (MyInterfaces::MktMktowsApiService::MktowsApiSoapPort and the
# MyTypes / MyElements classes beside it), each method called with the paramsX as a hash
# reference and the header parts as the second argument; answers are the generated objects
# (get_X accessors, a list only where several came), a fault a false value.
#
#   perl soap_wsdl_client.pl GENERATED_LIB ENDPOINT_URL USER_ID ENCRYPTION_KEY
#
# Prints one JSON line of what SOAP::WSDL read (LegacyRun in test/interop/legacy-toolkits.ts).
use strict;
use warnings;

use JSON::PP;
use POSIX qw(strftime);
use FindBin qw($Bin);
use lib $Bin;
use MktowsSoapWsdl qw(list unsubscribe_change signed_auth);

my ($lib, $endpoint, $user_id, $encryption_key, $mode) = @ARGV;
die "usage: $0 GENERATED_LIB ENDPOINT_URL USER_ID ENCRYPTION_KEY [strict]\n" unless defined $encryption_key;
$mode //= '';
unshift @INC, $lib;
require SOAP::WSDL;
require MyInterfaces::MktMktowsApiService::MktowsApiSoapPort;

# Lax reading, as SOAP::WSDL's cookbook tells for answers holding elements the WSDL does not
# declare: the fault detail's serviceException is such an element (the WSDL declares no
# wsdl:fault), which the default strict reader turns into a fault of its own. "strict" keeps
# the default, to show that.
my $port = MyInterfaces::MktMktowsApiService::MktowsApiSoapPort->new({
    proxy => $endpoint,
    $mode eq 'strict' ? () : (deserializer_args => { strict => 0 }),
});

sub auth { return signed_auth($user_id, $encryption_key); }

sub ok {
    my ($what, $result) = @_;
    die "$what: " . $result->get_faultstring . "\n" unless $result;
    return $result;
}

sub text { my ($v) = @_; return defined $v ? "$v" : undef; }

sub attributes {
    my ($list) = @_;
    return {} unless defined $list;
    return { map { ("" . $_->get_attrName) => text($_->get_attrValue) } list($list->get_attribute) };
}

# SOAP::WSDL sends one header entry, the first soap:header of the operation's binding (the
# interface wsdl2perl writes names no other): syncLead's MktowsContextHeader goes with the
# AuthenticationHeader in one object whose serialize_qualified writes both, as its users did.
package HeaderEntries {
    sub new { my ($class, @entries) = @_; return bless [@entries], $class; }
    sub serialize_qualified { my ($self) = @_; return join '', map { $_->serialize_qualified } @$self; }
}

sub headers_with_workspace {
    my ($workspace) = @_;
    require MyElements::AuthenticationHeader;
    require MyElements::MktowsContextHeader;
    return HeaderEntries->new(MyElements::AuthenticationHeader->new(auth()),
        MyElements::MktowsContextHeader->new({ targetWorkspace => $workspace }));
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
    my $result = ok('getLead', $port->getLead({ leadKey => { keyType => 'EMAIL', keyValue => $email } }, auth()))
        ->get_result;
    my @leads = map {
        my $a = attributes($_->get_leadAttributeList);
        { id => 0 + $_->get_Id, email => text($_->get_Email), unsubscribed => $a->{Unsubscribed},
          firstName => $a->{FirstName} }
    } list($result->get_leadRecordList ? $result->get_leadRecordList->get_leadRecord : undef);
    return { count => 0 + $result->get_count, leads => [sort { $a->{id} <=> $b->{id} } @leads] };
}

sub activities {
    my ($lead_id, $batch, $position) = @_;
    my $page = ok('getLeadActivity', $port->getLeadActivity({
        leadKey => { keyType => 'IDNUM', keyValue => $lead_id },
        batchSize => $batch,
        defined $position ? (startPosition => $position) : (),
    }, auth()))->get_leadActivityList;
    my $list = $page->get_activityRecordList;
    my @records = map {
        { id => 0 + $_->get_id, activityType => text($_->get_activityType),
          attributes => attributes($_->get_activityAttributes) }
    } list($list ? $list->get_activityRecord : undef);
    return { returnCount => 0 + $page->get_returnCount, remainingCount => 0 + $page->get_remainingCount,
             newStartPosition => $page->get_newStartPosition, records => \@records };
}

my $run = strftime('%H%M%S', localtime) . $$;
my ($ann, $bob) = ("ann.$run\@example.com", "bob.$run\@example.com");
my %out = (client => "SOAP::WSDL $SOAP::WSDL::VERSION");

# 1. syncMultipleLeads: two people and a record with an attribute nobody has.
my $batch = ok('syncMultipleLeads', $port->syncMultipleLeads({
    leadRecordList => { leadRecord => [
        record(Email => $ann, attributes => { FirstName => 'Ann' }),
        record(Email => $bob, attributes => { FirstName => 'Bob' }),
        record(Email => "bad.$run\@example.com", attributes => { NoSuchField => 'x' }),
    ] },
    dedupEnabled => 'true',
}, auth()));
$out{batch} = [map { { leadId => 0 + $_->get_leadId, status => text($_->get_status) } }
    list($batch->get_result->get_syncStatusList->get_syncStatus)];

# 2. syncLead: the same address, other case and spaces, with a foreign id, in partition East.
my $east = ok('syncLead', $port->syncLead({
    leadRecord => record(Email => ' ' . uc($ann) . ' ', ForeignSysPersonId => "legacy-$run"),
    returnLead => 'false',
}, headers_with_workspace('East')))->get_result;
$out{east} = { leadId => 0 + $east->get_leadId, status => text($east->get_syncStatus->get_status) };

$out{before} = leads_by_email($ann);

# 3. syncLead: unsubscribe Ann by her Id, the record returned.
my $a_id = $out{batch}[0]{leadId};
my $unsub = ok('syncLead', $port->syncLead({
    leadRecord => record(Id => $a_id, attributes => { Unsubscribed => 'true' }),
    returnLead => 'true',
}, auth()))->get_result;
$out{unsubscribe} = { leadId => 0 + $unsub->get_leadId, status => text($unsub->get_syncStatus->get_status),
    returned => attributes($unsub->get_leadRecord->get_leadAttributeList)->{Unsubscribed} };

$out{after} = leads_by_email($ann);
$out{bob} = leads_by_email($bob);

# 4. getLeadActivity: each person's Unsubscribed change; Ann's history a page at a time, the
# second page from the newStartPosition object SOAP::WSDL read.
$out{change} = { a => unsubscribe_change(activities($a_id, 100)),
                 east => unsubscribe_change(activities($out{east}{leadId}, 100)) };
my $first = activities($a_id, 1);
my $second = activities($a_id, 1, $first->{newStartPosition});
$out{pages} = [map { {
    returnCount => $_->{returnCount}, remainingCount => $_->{remainingCount},
    ids => [map { $_->{id} } @{ $_->{records} }], types => [map { $_->{activityType} } @{ $_->{records} }],
} } ($first, $second)];

# 5. A fault: getLead of an address nobody has; the answer is false, a Fault11 object.
my $fault = $port->getLead({ leadKey => { keyType => 'EMAIL', keyValue => "nobody.$run\@example.com" } }, auth());
if ($fault) {
    $out{fault} = undef;
} else {
    # The lax reader skips the detail: the code is the number the faultstring starts with.
    my $faultstring = text($fault->get_faultstring);
    $out{fault} = { faultcode => text($fault->get_faultcode), faultstring => $faultstring,
                    code => $faultstring =~ /^(\d+) - / ? $1 : undef };
}
print JSON::PP->new->canonical->encode(\%out), "\n";
