#!/usr/bin/perl
# Values outside ASCII as SOAP::Lite sends them at its defaults: its autotyping writes any string
# holding a character outside printable ASCII as xsi:type="xsd:base64Binary", the text base64 of
# its bytes (UTF-8 for a character string, the bytes themselves for a byte string), so a Perl
# integration syncing "Zoë" sent "Wm/Dqw==".
#
#   perl soap_lite_non_ascii.pl ENDPOINT_URL USER_ID ENCRYPTION_KEY
#
# syncLead creates a person with such values (returnLead), getLead reads it back by its address;
# then the same with autotyping off.
# Prints one JSON line: how many values went out as base64Binary, and the values SOAP::Lite read
# from each answer. test/interop/soap-lite.test.ts runs it.
use strict;
use warnings;
use utf8;

use FindBin qw($Bin);
use JSON::PP;
use SOAP::Lite;
use lib $Bin;
use MktowsSoapLite qw(ok all_of attributes_of);

my ($endpoint, $user_id, $encryption_key) = @ARGV;
die "usage: $0 ENDPOINT_URL USER_ID ENCRYPTION_KEY\n" unless defined $encryption_key;

my $mktows = MktowsSoapLite->new($endpoint, $user_id, $encryption_key);
my $base64 = 0;
$mktows->soap->transport->add_handler(request_send => sub {
    my $content = $_[0]->content;
    $base64 += () = $content =~ /xsi:type="xsd:base64Binary"/g;
    return;
});

sub struct { my ($name, @members) = @_; return SOAP::Data->name($name => \SOAP::Data->value(@members)); }
sub field { return SOAP::Data->name($_[0] => $_[1]); }

my %sent = (
    FirstName => 'Zoë',                  # a character string (use utf8): base64 of its UTF-8
    LastName  => "M\x{fc}ller",          # a byte string of ISO-8859-1, as read from a Latin-1 file
    Company   => "Gr\xc3\xbc\xc3\x9fe GmbH", # a byte string of UTF-8, as read from a file undecoded
    City      => '東京',                  # characters past Latin-1
    Title     => 'Plain ASCII',          # stays xsd:string
);
my $email = sprintf('soap-lite-non-ascii-%d-%d@example.com', time, $$);
my $synced = ok('syncLead', $mktows->call('paramsSyncLead',
    struct('leadRecord', field(Email => $email), struct('leadAttributeList', map {
        struct('attribute', field(attrName => $_), field(attrValue => $sent{$_}))
    } sort keys %sent)),
    field(returnLead => 'true')));
my $returned = attributes_of($synced->valueof('//successSyncLead/result/leadRecord'));

my $read = ok('getLead', $mktows->call('paramsGetLead',
    struct('leadKey', field(keyType => 'EMAIL'), field(keyValue => $email))));
my ($lead) = all_of($read, '//successGetLead/result/leadRecordList/leadRecord');
my $stored = attributes_of($lead);

# The same values with autotyping off (->autotype(0), as integrations set it to send no
# xsi:type): written as text, UTF-8.
$mktows->soap->autotype(0);
my $untyped_email = "untyped-$email";
ok('syncLead untyped', $mktows->call('paramsSyncLead',
    struct('leadRecord', field(Email => $untyped_email), struct('leadAttributeList', map {
        struct('attribute', field(attrName => $_), field(attrValue => $sent{$_}))
    } sort keys %sent)),
    field(returnLead => 'false')));
my $untyped_read = ok('getLead untyped', $mktows->call('paramsGetLead',
    struct('leadKey', field(keyType => 'EMAIL'), field(keyValue => $untyped_email))));
my ($untyped_lead) = all_of($untyped_read, '//successGetLead/result/leadRecordList/leadRecord');
my $untyped = attributes_of($untyped_lead);

my @names = sort keys %sent;
print JSON::PP->new->utf8->canonical->encode({
    client   => "SOAP::Lite $SOAP::Lite::VERSION",
    base64   => $base64,
    returned => { map { $_ => $returned->{$_} } @names },
    stored   => { map { $_ => $stored->{$_} } @names },
    untyped  => { map { $_ => $untyped->{$_} } @names },
}), "\n";
