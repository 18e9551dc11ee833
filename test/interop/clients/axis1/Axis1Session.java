import com.marketo.www.mktows.MktMktowsApiServiceLocator;
import com.marketo.www.mktows.MktowsPort;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.text.SimpleDateFormat;
import java.util.Date;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.axis.AxisFault;
import org.apache.axis.client.Stub;
import org.apache.axis.message.SOAPHeaderElement;
import org.w3c.dom.Element;

/**
 * What the Axis 1.4 programs (Axis1Client, Axis1Operations) share: the port from the generated
 * locator, the headers WSDL2Java leaves out of the methods (set on the stub by hand as
 * SOAPHeaderElements, signed afresh before each call), and the vendor code of a fault.
 */
final class Axis1Session {
  private static final String NS = "http://www.marketo.com/mktows/";

  private final MktowsPort port;
  private final String userId;
  private final String key;

  Axis1Session(String endpointUrl, String userId, String key) throws Exception {
    this.port = new MktMktowsApiServiceLocator().getMktowsApiSoapPort(new URL(endpointUrl));
    this.userId = userId;
    this.key = key;
  }

  /** The port with a freshly signed AuthenticationHeader on it, for one call. */
  MktowsPort signed() throws Exception {
    return signed(null);
  }

  /** The same, with a MktowsContextHeader naming {@code workspace} unless it is null. */
  MktowsPort signed(String workspace) throws Exception {
    String text = new SimpleDateFormat("yyyy-MM-dd'T'HH:mm:ssZ").format(new Date());
    String timestamp = text.substring(0, 22) + ":" + text.substring(22);
    Mac mac = Mac.getInstance("HmacSHA1");
    mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
    StringBuilder signature = new StringBuilder();
    for (byte b : mac.doFinal((timestamp + userId).getBytes(StandardCharsets.UTF_8))) {
      signature.append(String.format("%02x", b));
    }
    Stub stub = (Stub) port;
    stub.clearHeaders();
    SOAPHeaderElement auth = new SOAPHeaderElement(NS, "AuthenticationHeader");
    auth.addChildElement("mktowsUserId").addTextNode(userId);
    auth.addChildElement("requestSignature").addTextNode(signature.toString());
    auth.addChildElement("requestTimestamp").addTextNode(timestamp);
    stub.setHeader(auth);
    if (workspace != null) {
      SOAPHeaderElement context = new SOAPHeaderElement(NS, "MktowsContextHeader");
      context.addChildElement("targetWorkspace").addTextNode(workspace);
      stub.setHeader(context);
    }
    return port;
  }

  /** The vendor code of a fault (its detail's serviceException/code), or null. */
  static String faultCode(AxisFault f) {
    if (f.getFaultDetails() != null) {
      for (Element detail : f.getFaultDetails()) {
        if ("serviceException".equals(detail.getLocalName())) {
          return detail.getElementsByTagName("code").item(0).getTextContent();
        }
      }
    }
    return null;
  }
}
