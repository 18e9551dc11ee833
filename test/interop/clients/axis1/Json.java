/** The JSON text the Axis 1.4 programs print their line in (no JSON library on their classpath). */
final class Json {
  private Json() {}

  /** {@code s} as a JSON string, or null. */
  static String string(String s) {
    if (s == null) return "null";
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') b.append('\\').append(c);
      else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
      else b.append(c);
    }
    return b.append('"').toString();
  }
}
