import com.marketo.mktows.ActivityRecord;
import com.marketo.mktows.ArrayOfAttribute;
import com.marketo.mktows.Attribute;
import com.marketo.mktows.LeadKey;
import com.marketo.mktows.LeadKeyRef;
import com.marketo.mktows.LeadRecord;
import com.marketo.mktows.MktowsContextHeaderInfo;
import com.marketo.mktows.MktowsPort;
import com.marketo.mktows.ObjectFactory;
import com.marketo.mktows.ParamsGetLead;
import com.marketo.mktows.ParamsSyncLead;
import com.marketo.mktows.ResultSyncLead;
import java.util.Map;
import javax.xml.ws.soap.SOAPFaultException;

/**
 * The durable unsubscribe, seen from a client: two people share one address, one of them
 * unsubscribes, the other follows, and the activity log says why.
 *
 * <pre>
 *   java DurableExample http://localhost:8080/soap/mktows/2_9?WSDL USER_ID ENCRYPTION_KEY [EMAIL]
 * </pre>
 *
 * See examples/README.md for generating the stubs (wsimport) and compiling.
 */
public final class DurableExample {
  private final MktowsPort port;
  private final String userId;
  private final String key;
  private final ObjectFactory f = new ObjectFactory();

  private DurableExample(String wsdlUrl, String userId, String key) throws Exception {
    this.port = MktowsClient.connect(wsdlUrl);
    this.userId = userId;
    this.key = key;
  }

  private ResultSyncLead sync(LeadRecord record, String workspace) throws Exception {
    ParamsSyncLead p = new ParamsSyncLead();
    p.setLeadRecord(record);
    p.setReturnLead(false);
    MktowsContextHeaderInfo context = null;
    if (workspace != null) {
      context = new MktowsContextHeaderInfo();
      context.setTargetWorkspace(workspace);
    }
    return port.syncLead(p, MktowsClient.authentication(userId, key), context).getResult();
  }

  private LeadKey id(int leadId) {
    LeadKey k = new LeadKey();
    k.setKeyType(LeadKeyRef.IDNUM);
    k.setKeyValue(String.valueOf(leadId));
    return k;
  }

  private String unsubscribed(int leadId) throws Exception {
    ParamsGetLead p = new ParamsGetLead();
    p.setLeadKey(id(leadId));
    LeadRecord lead =
        MktowsClient.value(
                port.getLead(p, MktowsClient.authentication(userId, key))
                    .getResult()
                    .getLeadRecordList())
            .getLeadRecord()
            .get(0);
    // Booleans travel as the vendor sent them, 1 or 0 (older answers: true or false).
    String value = MktowsClient.attribute(lead, "Unsubscribed");
    return "1".equals(value) || "true".equalsIgnoreCase(value) ? "true" : "false";
  }

  private void run(String email) throws Exception {
    // 1. Two people with one address: A in the default partition, B in "East" (B's own
    //    foreign id keeps syncLead from matching A by email).
    LeadRecord a = new LeadRecord();
    a.setEmail(f.createLeadRecordEmail(email));
    ResultSyncLead ra = sync(a, null);
    LeadRecord b = new LeadRecord();
    b.setEmail(f.createLeadRecordEmail(email.toUpperCase()));
    b.setForeignSysPersonId(
        f.createLeadRecordForeignSysPersonId("worked-example-" + java.util.UUID.randomUUID()));
    ResultSyncLead rb = sync(b, "East");
    int idA = ra.getLeadId();
    int idB = rb.getLeadId();
    System.out.println(
        "1. A is lead " + idA + " (" + ra.getSyncStatus().getStatus().value() + "), B is lead "
            + idB + " (" + rb.getSyncStatus().getStatus().value() + "), both <" + email + ">");
    String unsubscribedA = unsubscribed(idA);
    System.out.println("   Unsubscribed: A=" + unsubscribedA + " B=" + unsubscribed(idB));
    if ("true".equals(unsubscribedA)) {
      // Nothing would follow: the address kept the unsubscribe of an earlier run.
      System.err.println(
          "error: " + email + " is unsubscribed already (an earlier run?): run again with an"
              + " address not used before");
      System.exit(1);
    }

    // 2. A unsubscribes, through syncLead as any integration would send it.
    LeadRecord change = new LeadRecord();
    change.setId(f.createLeadRecordId(idA));
    ArrayOfAttribute attrs = new ArrayOfAttribute();
    attrs.getAttribute().add(MktowsClient.attribute("Unsubscribed", "boolean", "true"));
    change.setLeadAttributeList(f.createLeadRecordLeadAttributeList(attrs));
    sync(change, null);
    System.out.println("2. A unsubscribes");
    System.out.println(
        "   Unsubscribed: A=" + unsubscribed(idA) + " B=" + unsubscribed(idB) + "  (B followed)");

    // 3. B's activity log says why its flag changed (newest first).
    for (ActivityRecord record : MktowsClient.dataValueChanges(port, userId, key, id(idB), 20)) {
      Map<String, String> values = MktowsClient.attributes(record);
      if ("Unsubscribed".equals(values.get("Attribute Name"))) {
        System.out.println(
            "3. B's activity at " + record.getActivityDateTime() + ": Unsubscribed "
                + values.get("Old Value") + " -> " + values.get("New Value") + ", reason: "
                + values.get("Reason"));
        break;
      }
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 3 && args.length != 4) {
      System.err.println("usage: java DurableExample WSDL_URL USER_ID ENCRYPTION_KEY [EMAIL]");
      System.exit(2);
    }
    try {
      new DurableExample(args[0], args[1], args[2]).run(args.length == 4 ? args[3] : "ann@example.com");
    } catch (SOAPFaultException e) {
      // One line, not a stack trace: a wrong key is the commonest first mistake.
      String code = MktowsClient.faultCode(e);
      System.err.println(
          "error: " + e.getFault().getFaultString() + " (code " + code + ")"
              + ("20014".equals(code) ? ": check the user id and encryption key" : ""));
      System.exit(1);
    }
  }
}
