import com.marketo.mktows.ArrayOfAttribute;
import com.marketo.mktows.ArrayOfKeyList;
import com.marketo.mktows.ArrayOfLeadRecord;
import com.marketo.mktows.ArrayOfString;
import com.marketo.mktows.Attribute;
import com.marketo.mktows.LeadKey;
import com.marketo.mktows.LeadKeyRef;
import com.marketo.mktows.LeadKeySelector;
import com.marketo.mktows.LeadRecord;
import com.marketo.mktows.MObjFieldMetadata;
import com.marketo.mktows.MergeStatus;
import com.marketo.mktows.MktMktowsApiService;
import com.marketo.mktows.MktowsPort;
import com.marketo.mktows.ObjectFactory;
import com.marketo.mktows.ParamsDeleteLead;
import com.marketo.mktows.ParamsDescribeMObject;
import com.marketo.mktows.ParamsGetCampaignsForSource;
import com.marketo.mktows.ParamsGetLead;
import com.marketo.mktows.ParamsGetLeadActivity;
import com.marketo.mktows.ParamsGetLeadChanges;
import com.marketo.mktows.ParamsGetMultipleLeads;
import com.marketo.mktows.ParamsMergeLeads;
import com.marketo.mktows.ParamsSyncLead;
import com.marketo.mktows.ParamsSyncMultipleLeads;
import com.marketo.mktows.ReqCampSourceType;
import com.marketo.mktows.StreamPosition;
import com.marketo.mktows.SyncStatus;
import java.net.URL;
import java.util.List;
import javax.xml.datatype.DatatypeFactory;
import javax.xml.namespace.QName;
import javax.xml.ws.soap.SOAPFaultException;

/**
 * Every served operation through JAX-WS stubs, the port created from the ?WSDL URL as the
 * vendor's SDK does ({@code new MktMktowsApiService(url, qname).getMktowsApiSoapPort()}).
 *
 * <pre>
 *   java ServedOperations WSDL_URL USER_ID ENCRYPTION_KEY
 * </pre>
 *
 * Prints one line per operation, "name: result", "unserved: 20019" for an operation the
 * service does not serve and "tooLarge: 20012" for a batch over the body limit; exits non-zero
 * on the first surprise.
 */
public final class ServedOperations {
  private static final String NS = "http://www.marketo.com/mktows/";
  private final MktowsPort port;
  private final String userId;
  private final String key;
  private final ObjectFactory f = new ObjectFactory();

  private ServedOperations(String wsdlUrl, String userId, String key) throws Exception {
    this.port =
        new MktMktowsApiService(new URL(wsdlUrl), new QName(NS, "MktMktowsApiService"))
            .getMktowsApiSoapPort();
    this.userId = userId;
    this.key = key;
  }

  private com.marketo.mktows.AuthenticationHeaderInfo auth() throws Exception {
    return MktowsClient.authentication(userId, key);
  }

  private static LeadKey leadKey(LeadKeyRef type, String value) {
    LeadKey k = new LeadKey();
    k.setKeyType(type);
    k.setKeyValue(value);
    return k;
  }

  private LeadRecord record(String email) {
    LeadRecord r = new LeadRecord();
    r.setEmail(f.createLeadRecordEmail(email));
    ArrayOfAttribute attrs = new ArrayOfAttribute();
    attrs.getAttribute().add(MktowsClient.attribute("FirstName", "string", "Jay"));
    r.setLeadAttributeList(f.createLeadRecordLeadAttributeList(attrs));
    return r;
  }

  private static ArrayOfAttribute keyList(String type, String value) {
    ArrayOfAttribute list = new ArrayOfAttribute();
    Attribute a = new Attribute();
    a.setAttrName(type);
    a.setAttrValue(value);
    list.getAttribute().add(a);
    return list;
  }

  private void run() throws Exception {
    ParamsSyncLead sync = new ParamsSyncLead();
    sync.setLeadRecord(record("jx-a@example.com"));
    sync.setReturnLead(true);
    int a = port.syncLead(sync, auth(), null).getResult().getLeadId();
    System.out.println("syncLead: " + a);

    ParamsSyncMultipleLeads many = new ParamsSyncMultipleLeads();
    ArrayOfLeadRecord records = new ArrayOfLeadRecord();
    records.getLeadRecord().add(record("jx-b@example.com"));
    records.getLeadRecord().add(record("jx-c@example.com"));
    many.setLeadRecordList(records);
    List<SyncStatus> statuses =
        port.syncMultipleLeads(many, auth()).getResult().getSyncStatusList().getSyncStatus();
    int b = statuses.get(0).getLeadId();
    System.out.println("syncMultipleLeads: " + statuses.size() + " " + statuses.get(1).getStatus().value());

    ParamsGetLead get = new ParamsGetLead();
    get.setLeadKey(leadKey(LeadKeyRef.EMAIL, "jx-a@example.com"));
    LeadRecord lead =
        port.getLead(get, auth()).getResult().getLeadRecordList().getValue().getLeadRecord().get(0);
    System.out.println(
        "getLead: " + lead.getId().getValue() + " Unsubscribed=" + MktowsClient.attribute(lead, "Unsubscribed"));

    // A new line in a value as a Windows text box gives it (CR LF), read back as sent.
    ParamsSyncLead address = new ParamsSyncLead();
    LeadRecord withAddress = new LeadRecord();
    withAddress.setEmail(f.createLeadRecordEmail("jx-a@example.com"));
    ArrayOfAttribute addressAttrs = new ArrayOfAttribute();
    addressAttrs.getAttribute().add(MktowsClient.attribute("Address", "text", "1 Main St\r\nSuite 2"));
    withAddress.setLeadAttributeList(f.createLeadRecordLeadAttributeList(addressAttrs));
    address.setLeadRecord(withAddress);
    port.syncLead(address, auth(), null);
    LeadRecord readBack =
        port.getLead(get, auth()).getResult().getLeadRecordList().getValue().getLeadRecord().get(0);
    System.out.println(
        "lineEnds: "
            + MktowsClient.attribute(readBack, "Address").replace("\r", "\\r").replace("\n", "\\n"));

    ParamsGetMultipleLeads multiple = new ParamsGetMultipleLeads();
    LeadKeySelector selector = new LeadKeySelector();
    selector.setKeyType(LeadKeyRef.EMAIL);
    ArrayOfString values = new ArrayOfString();
    values.getStringItem().add("jx-a@example.com");
    values.getStringItem().add("jx-b@example.com");
    selector.setKeyValues(values);
    multiple.setLeadSelector(f.createParamsGetMultipleLeadsLeadSelector(selector));
    System.out.println(
        "getMultipleLeads: " + port.getMultipleLeads(multiple, auth()).getResult().getReturnCount());

    ParamsGetLeadActivity activity = new ParamsGetLeadActivity();
    activity.setLeadKey(leadKey(LeadKeyRef.IDNUM, String.valueOf(a)));
    System.out.println(
        "getLeadActivity: "
            + port.getLeadActivity(activity, auth()).getLeadActivityList().getReturnCount());

    ParamsGetLeadChanges changes = new ParamsGetLeadChanges();
    StreamPosition start = new StreamPosition();
    start.setOldestCreatedAt(
        f.createStreamPositionOldestCreatedAt(
            DatatypeFactory.newInstance().newXMLGregorianCalendar("2000-01-01T00:00:00Z")));
    changes.setStartPosition(start);
    System.out.println(
        "getLeadChanges: " + (port.getLeadChanges(changes, auth()).getResult().getReturnCount() > 0));

    ParamsDescribeMObject describe = new ParamsDescribeMObject();
    describe.setObjectName("LeadRecord");
    String unsubscribedType = null;
    for (MObjFieldMetadata field :
        port.describeMObject(describe, auth()).getResult().getMetadata().getFieldList().getField()) {
      if (field.getName().equals("Unsubscribed")) unsubscribedType = field.getDataType();
    }
    System.out.println("describeMObject: Unsubscribed " + unsubscribedType);

    ParamsMergeLeads merge = new ParamsMergeLeads();
    merge.setWinningLeadKeyList(keyList("IDNUM", String.valueOf(a)));
    ArrayOfKeyList losers = new ArrayOfKeyList();
    losers.getKeyList().add(keyList("IDNUM", String.valueOf(b)));
    merge.setLosingLeadKeyLists(losers);
    MergeStatus merged = port.mergeLeads(merge, auth()).getResult().getMergeStatus();
    System.out.println(
        "mergeLeads: "
            + merged.getStatus().value()
            + " "
            + (merged.getWinningLeadId().getValue() == a)
            + " "
            + merged.getLosingLeadIdList().getValue().getIntegerItem());

    ParamsDeleteLead delete = new ParamsDeleteLead();
    delete.setLeadKey(leadKey(LeadKeyRef.EMAIL, "jx-c@example.com"));
    System.out.println("deleteLead: " + port.deleteLead(delete, auth()).getResult().getCount());

    ParamsGetCampaignsForSource campaigns = new ParamsGetCampaignsForSource();
    campaigns.setSource(ReqCampSourceType.MKTOWS);
    try {
      port.getCampaignsForSource(campaigns, auth());
      throw new IllegalStateException("getCampaignsForSource answered without a fault");
    } catch (SOAPFaultException e) {
      System.out.println("unserved: " + MktowsClient.faultCode(e));
    }

    // A batch of 300 records over the body limit (MAX_BODY_BYTES, 1 MiB by default): JAX-WS
    // reads a SOAP 1.1 fault only from an HTTP 500 answer (any other status is a
    // ClientTransportException naming the status, the fault unread).
    ParamsSyncMultipleLeads large = new ParamsSyncMultipleLeads();
    ArrayOfLeadRecord bulky = new ArrayOfLeadRecord();
    String longAddress = "x".repeat(4000);
    for (int i = 0; i < 300; i++) {
      LeadRecord r = record("jx-large-" + i + "@example.com");
      r.getLeadAttributeList().getValue().getAttribute().add(
          MktowsClient.attribute("Address", "text", longAddress));
      bulky.getLeadRecord().add(r);
    }
    large.setLeadRecordList(bulky);
    try {
      port.syncMultipleLeads(large, auth());
      throw new IllegalStateException("a batch over the body limit answered without a fault");
    } catch (SOAPFaultException e) {
      System.out.println("tooLarge: " + MktowsClient.faultCode(e));
    }
  }

  public static void main(String[] args) throws Exception {
    new ServedOperations(args[0], args[1], args[2]).run();
  }
}
