using System;
using System.Web.Services.Protocols;
using System.Xml;
using Mktows;

/// <summary>
/// What the ASMX programs (AsmxClient, AsmxOperations) share: the proxy that "Add Web Reference"
/// generated (wsdl.exe), pointed at the endpoint given, its AuthenticationHeader member signed
/// afresh before each call as the vendor's .NET sample signs it, and the vendor code of a fault
/// read from SoapException.Detail.
/// </summary>
sealed class AsmxSession : IMktowsCalls
{
    public const string Namespace = "http://www.marketo.com/mktows/";

    readonly MktMktowsApiService service;
    readonly string userId;
    readonly string encryptionKey;

    public AsmxSession(string endpointUrl, string userId, string encryptionKey)
    {
        service = new MktMktowsApiService();
        service.Url = endpointUrl;
        this.userId = userId;
        this.encryptionKey = encryptionKey;
    }

    /// <summary>The proxy with a freshly signed AuthenticationHeader and no context header.</summary>
    public MktMktowsApiService Signed()
    {
        return Signed(null);
    }

    /// <summary>The same, with a MktowsContextHeader naming <paramref name="workspace"/> unless null.</summary>
    public MktMktowsApiService Signed(string workspace)
    {
        string[] signed = Signing.Now(userId, encryptionKey);
        AuthenticationHeaderInfo header = new AuthenticationHeaderInfo();
        header.mktowsUserId = userId;
        header.requestTimestamp = signed[0];
        header.requestSignature = signed[1];
        service.AuthenticationHeader = header;
        if (workspace == null)
        {
            service.MktowsContextHeader = null;
        }
        else
        {
            MktowsContextHeaderInfo context = new MktowsContextHeaderInfo();
            context.targetWorkspace = workspace;
            service.MktowsContextHeader = context;
        }
        return service;
    }

    /// <summary>The vendor code of a fault (detail/serviceException/code), or null.</summary>
    public static string FaultCode(SoapException e)
    {
        if (e.Detail == null) return null;
        XmlNamespaceManager ns = new XmlNamespaceManager(new NameTable());
        ns.AddNamespace("mkt", Namespace);
        XmlNode code = e.Detail.SelectSingleNode("mkt:serviceException/code", ns);
        return code == null ? null : code.InnerText;
    }

    public SuccessSyncMultipleLeads SyncMultipleLeads(ParamsSyncMultipleLeads p)
    {
        return Signed().syncMultipleLeads(p);
    }

    public SuccessSyncLead SyncLead(ParamsSyncLead p, string workspace)
    {
        return Signed(workspace).syncLead(p);
    }

    public SuccessGetLead GetLead(ParamsGetLead p)
    {
        return Signed().getLead(p);
    }

    public SuccessGetLeadActivity GetLeadActivity(ParamsGetLeadActivity p)
    {
        return Signed().getLeadActivity(p);
    }

    public string[] Fault(Exception e)
    {
        SoapException fault = e as SoapException;
        if (fault == null) return null;
        return new string[] { fault.Code.ToString(), fault.Message, FaultCode(fault) };
    }

    /// <summary>What the programs report as the client's name.</summary>
    public string ClientName
    {
        get { return "ASMX SoapHttpClientProtocol (" + LegacyRun.RuntimeName() + ")"; }
    }
}
