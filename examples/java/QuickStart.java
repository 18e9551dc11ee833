import com.marketo.mktows.ArrayOfAttribute;
import com.marketo.mktows.LeadKey;
import com.marketo.mktows.LeadKeyRef;
import com.marketo.mktows.LeadRecord;
import com.marketo.mktows.MktowsPort;
import com.marketo.mktows.ObjectFactory;
import com.marketo.mktows.ParamsGetLead;
import com.marketo.mktows.ParamsSyncLead;
import com.marketo.mktows.ResultGetLead;
import com.marketo.mktows.ResultSyncLead;
import javax.xml.ws.soap.SOAPFaultException;

/**
 * Create or update a lead, then read it back by email.
 *
 * <pre>
 *   java QuickStart https://mktows.example.com/soap/mktows/2_9?WSDL USER_ID ENCRYPTION_KEY ann@example.com
 * </pre>
 *
 * See examples/README.md for generating the stubs and compiling.
 */
public final class QuickStart {
  public static void main(String[] args) throws Exception {
    if (args.length != 4) {
      System.err.println("usage: java QuickStart WSDL_URL USER_ID ENCRYPTION_KEY EMAIL");
      System.exit(2);
    }
    String userId = args[1];
    String key = args[2];
    String email = args[3];
    MktowsPort port = MktowsClient.connect(args[0]);
    ObjectFactory f = new ObjectFactory();

    // syncLead: with only Email as key, the lead with that address is updated (or created).
    LeadRecord record = new LeadRecord();
    record.setEmail(f.createLeadRecordEmail(email));
    ArrayOfAttribute attributes = new ArrayOfAttribute();
    attributes.getAttribute().add(MktowsClient.attribute("FirstName", "string", "Ann"));
    attributes.getAttribute().add(MktowsClient.attribute("Company", "string", "Example Inc."));
    record.setLeadAttributeList(f.createLeadRecordLeadAttributeList(attributes));
    ParamsSyncLead sync = new ParamsSyncLead();
    sync.setLeadRecord(record);
    sync.setReturnLead(false);
    ResultSyncLead synced;
    try {
      synced = port.syncLead(sync, MktowsClient.authentication(userId, key), null).getResult();
    } catch (SOAPFaultException e) {
      // One line, not a stack trace: a wrong key is the commonest first mistake.
      String code = MktowsClient.faultCode(e);
      System.err.println(
          "error: " + e.getFault().getFaultString() + " (code " + code + ")"
              + ("20014".equals(code) ? ": check the user id and encryption key" : ""));
      System.exit(1);
      return;
    }
    System.out.println(
        "syncLead: lead " + synced.getLeadId() + " " + synced.getSyncStatus().getStatus());

    // getLead by EMAIL returns every lead with that address.
    LeadKey leadKey = new LeadKey();
    leadKey.setKeyType(LeadKeyRef.EMAIL);
    leadKey.setKeyValue(email);
    ParamsGetLead get = new ParamsGetLead();
    get.setLeadKey(leadKey);
    ResultGetLead found;
    try {
      found = port.getLead(get, MktowsClient.authentication(userId, key)).getResult();
    } catch (SOAPFaultException e) {
      System.err.println(
          "getLead failed: " + e.getFault().getFaultString() + " (code " + MktowsClient.faultCode(e) + ")");
      System.exit(1);
      return;
    }
    System.out.println("getLead: " + found.getCount() + " lead(s)");
    for (LeadRecord lead : MktowsClient.value(found.getLeadRecordList()).getLeadRecord()) {
      System.out.println(
          "  lead " + MktowsClient.value(lead.getId())
              + " <" + MktowsClient.value(lead.getEmail()) + ">"
              + " FirstName=" + MktowsClient.attribute(lead, "FirstName")
              + " Unsubscribed=" + MktowsClient.attribute(lead, "Unsubscribed"));
    }
  }
}
