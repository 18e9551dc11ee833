use strict;
use warnings;

# A Perl integration that gives several lead records one attribute list: the same hash
# reference in each, as Perl code shares a value. SOAP::Lite writes a value it meets more than
# once a single time, as a multi-reference value after the params element (id="ref-…"), and
# each place that holds it as href="#ref-…"; the vendor's server read it in place.
#
#   perl soap_lite_multi_refs.pl ENDPOINT_URL USER_ID ENCRYPTION_KEY
#
# Prints one JSON line: whether the request held references, the batch's statuses, and the
# Company and LeadSource each person has since (test/interop/soap-lite.test.ts checks it).

use FindBin qw($Bin);
use JSON::PP;
use POSIX qw(strftime);
use SOAP::Lite;
use lib $Bin;
use MktowsSoapLite qw(ok attributes_of);

my ($endpoint, $user_id, $encryption_key) = @ARGV;
die "usage: $0 ENDPOINT_URL USER_ID ENCRYPTION_KEY\n" unless defined $encryption_key;

my $mktows = MktowsSoapLite->new($endpoint, $user_id, $encryption_key);
my $sent = '';
$mktows->soap->transport->add_handler(request_send => sub { $sent = $_[0]->content; return; });

sub call { my ($params, @body) = @_; return ok($params, $mktows->call($params, @body)); }

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
    my $attributes = attributes_of(scalar $som->valueof('//successGetLead/result/leadRecordList/leadRecord'));
    push @people, { Company => $attributes->{Company}, LeadSource => $attributes->{LeadSource} };
}

print JSON::PP->new->canonical->encode({ references => $references, statuses => \@statuses, people => \@people }), "\n";
