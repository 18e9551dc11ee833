import com.marketo.mktows.ActivityRecord;
import com.marketo.mktows.ActivityType;
import com.marketo.mktows.ActivityTypeFilter;
import com.marketo.mktows.ArrayOfActivityRecord;
import com.marketo.mktows.ArrayOfActivityType;
import com.marketo.mktows.ArrayOfAttribute;
import com.marketo.mktows.Attribute;
import com.marketo.mktows.AuthenticationHeaderInfo;
import com.marketo.mktows.LeadKey;
import com.marketo.mktows.LeadRecord;
import com.marketo.mktows.MktMktowsApiService;
import com.marketo.mktows.MktowsPort;
import com.marketo.mktows.ObjectFactory;
import com.marketo.mktows.ParamsGetLeadActivity;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.xml.bind.JAXBElement;
import javax.xml.soap.Detail;
import javax.xml.soap.SOAPFault;
import javax.xml.ws.soap.SOAPFaultException;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * A small helper for calling the mktows SOAP API through JAX-WS stubs generated with
 *
 * <pre>
 *   wsimport -XadditionalHeaders -keep -d stubs https://mktows.example.com/soap/mktows/2_9?WSDL
 * </pre>
 *
 * (-XadditionalHeaders gives every operation its header parameters, e.g.
 * {@code getLead(ParamsGetLead, AuthenticationHeaderInfo)}, the header element's type as the vendor
 * named it.) Every call carries an AuthenticationHeader
 * signed with the user's encryption key: requestSignature = lowercase hex
 * HMAC-SHA1(key, requestTimestamp + mktowsUserId), where requestTimestamp is a W3C date-time with
 * an offset (e.g. 2013-06-09T14:04:54-08:00). The server refuses timestamps too far from its clock,
 * so make a fresh header for every call.
 */
public final class MktowsClient {
  private static final DateTimeFormatter W3C =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssxxx");

  private MktowsClient() {}

  /** The port for the service's WSDL; calls go to the address the WSDL names. */
  public static MktowsPort connect(String wsdlUrl) throws Exception {
    return new MktMktowsApiService(new URL(wsdlUrl)).getMktowsApiSoapPort();
  }

  /** The current time as a W3C date-time with a numeric offset, to the second. */
  public static String requestTimestamp() {
    return OffsetDateTime.now().format(W3C);
  }

  /** Lowercase hex HMAC-SHA1 of timestamp + user id, keyed with the encryption key. */
  public static String requestSignature(String encryptionKey, String timestamp, String userId)
      throws Exception {
    Mac mac = Mac.getInstance("HmacSHA1");
    mac.init(new SecretKeySpec(encryptionKey.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
    byte[] digest = mac.doFinal((timestamp + userId).getBytes(StandardCharsets.UTF_8));
    StringBuilder hex = new StringBuilder();
    for (byte b : digest) hex.append(String.format("%02x", b));
    return hex.toString();
  }

  /** A freshly signed AuthenticationHeader. */
  public static AuthenticationHeaderInfo authentication(String userId, String encryptionKey)
      throws Exception {
    String timestamp = requestTimestamp();
    AuthenticationHeaderInfo header = new AuthenticationHeaderInfo();
    header.setMktowsUserId(userId);
    header.setRequestTimestamp(timestamp);
    header.setRequestSignature(requestSignature(encryptionKey, timestamp, userId));
    return header;
  }

  /** The value of a JAXBElement (an optional, nillable member), or null. */
  public static <T> T value(JAXBElement<T> element) {
    return element == null || element.isNil() ? null : element.getValue();
  }

  /** The value of a lead attribute (e.g. "Unsubscribed") in a LeadRecord, or null. */
  public static String attribute(LeadRecord lead, String name) {
    ArrayOfAttribute attributes = value(lead.getLeadAttributeList());
    if (attributes == null) return null;
    for (Attribute a : attributes.getAttribute()) {
      if (a.getAttrName().equals(name)) return a.getAttrValue();
    }
    return null;
  }

  /** An attribute to send, e.g. attribute("Unsubscribed", "boolean", "true"). */
  public static Attribute attribute(String name, String type, String value) {
    Attribute a = new Attribute();
    a.setAttrName(name);
    a.setAttrType(new com.marketo.mktows.ObjectFactory().createAttributeAttrType(type));
    a.setAttrValue(value);
    return a;
  }

  /**
   * The lead's Change Data Value activities, newest first, at most {@code batchSize}: among them,
   * each change of its Unsubscribed flag and why it changed.
   */
  public static List<ActivityRecord> dataValueChanges(
      MktowsPort port, String userId, String encryptionKey, LeadKey lead, int batchSize)
      throws Exception {
    ObjectFactory f = new ObjectFactory();
    ParamsGetLeadActivity p = new ParamsGetLeadActivity();
    p.setLeadKey(lead);
    ActivityTypeFilter filter = new ActivityTypeFilter();
    ArrayOfActivityType types = new ArrayOfActivityType();
    types.getActivityType().add(ActivityType.CHANGE_DATA_VALUE);
    filter.setIncludeTypes(types);
    p.setActivityFilter(f.createParamsGetLeadActivityActivityFilter(filter));
    p.setBatchSize(f.createParamsGetLeadActivityBatchSize(batchSize));
    ArrayOfActivityRecord page =
        value(
            port.getLeadActivity(p, authentication(userId, encryptionKey))
                .getLeadActivityList()
                .getActivityRecordList());
    return page == null ? List.of() : page.getActivityRecord();
  }

  /** An activity's attributes by name: "Attribute Name", "Old Value", "New Value", "Reason", … */
  public static Map<String, String> attributes(ActivityRecord record) {
    Map<String, String> out = new HashMap<>();
    ArrayOfAttribute list = value(record.getActivityAttributes());
    if (list != null) for (Attribute a : list.getAttribute()) out.put(a.getAttrName(), a.getAttrValue());
    return out;
  }

  /** The vendor error code (e.g. "20103") in a SOAP fault's detail, or null. */
  public static String faultCode(SOAPFaultException e) {
    SOAPFault fault = e.getFault();
    Detail detail = fault.getDetail();
    if (detail == null) return null;
    NodeList codes = detail.getElementsByTagName("code");
    for (int i = 0; i < codes.getLength(); i++) {
      Node code = codes.item(i);
      Node parent = code.getParentNode();
      if (parent instanceof Element && "serviceException".equals(parent.getLocalName())) {
        return code.getTextContent();
      }
    }
    return null;
  }
}
