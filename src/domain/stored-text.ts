/**
 * C0 control characters but tab, LF and CR: no text this service stores holds one, and every
 * path that takes text refuses them (PostgreSQL refuses NUL in any text; SQLite would cut the
 * text there).
 */
// eslint-disable-next-line no-control-regex -- the control characters are what is matched
export const STORED_TEXT_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/;
