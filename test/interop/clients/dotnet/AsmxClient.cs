using System;

/// <summary>
/// An mktows integration as .NET shops wrote it with "Add Web Reference": the proxy class wsdl.exe
/// generated from the service's ?WSDL (SoapHttpClientProtocol and XmlSerializer; built by
/// test/interop/dotnet-asmx.test.ts, never kept), its Url set to the endpoint, the
/// AuthenticationHeader and MktowsContextHeader set as the proxy's header members, faults caught
/// as SoapException (AsmxSession), the calls of LegacyRun.
///
///   mono AsmxClient.exe ENDPOINT_URL USER_ID ENCRYPTION_KEY
/// </summary>
static class AsmxClient
{
    static void Main(string[] args)
    {
        Console.WriteLine(LegacyRun.Run(new AsmxSession(args[0], args[1], args[2])));
    }
}
