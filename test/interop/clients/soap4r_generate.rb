#!/usr/bin/ruby
# wsdl2ruby of the live ?WSDL: the classes (mktows.rb), their mapping registry and the driver
# (MktowsPort in mktowsDriver.rb), in module Mktows, written to DIR.
#
#     ruby soap4r_generate.rb WSDL_URL DIR
#
# Through WSDL::SOAP::WSDL2Ruby, the class the wsdl2ruby.rb command drives: the command shipped
# with soap4r stops at start on Ruby 2.2 and later (it subclasses Logger::Application, which
# Ruby's logger no longer has), with the same options its users gave it:
# --classdef mktows --driver --mapping_registry --module_path Mktows --force.

require 'logger'
require 'wsdl/soap/wsdl2ruby'

wsdl_url, dir = ARGV
worker = WSDL::SOAP::WSDL2Ruby.new
worker.location = wsdl_url
worker.basedir = dir
worker.logger = Logger.new(STDERR)
worker.opt.update('classdef' => 'mktows', 'mapping_registry' => nil, 'driver' => nil,
                  'module_path' => 'Mktows', 'force' => true)
worker.run
