/**
 * CSV as every export of this service writes it (the CLI's suppressions export, the operator
 * pages' downloads): RFC 4180 quoting, and no cell a spreadsheet would run as a formula.
 */

/**
 * Characters that make Excel, LibreOffice or Google Sheets read a cell as a formula (or, for
 * TAB and CR, hide one): OWASP's list for CSV injection.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export type CsvValue = string | number | boolean | null | undefined;

/**
 * One CSV cell. Text starting with = + - @ TAB or CR gets a leading apostrophe, which
 * spreadsheets show as text and never evaluate, and is quoted (OWASP's CSV-injection advice);
 * numbers and booleans are written as they are.
 */
export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (FORMULA_START.test(value)) return `"'${value.replace(/"/g, '""')}"`;
  return /[",\r\n]/.test(value) || /^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One CSV line, its cells made safe by csvField, ending in a line feed. */
export function csvRow(values: readonly CsvValue[]): string {
  return values.map(csvField).join(',') + '\n';
}

/**
 * The value a cell held before csvField neutralised it: reading back our own export gives
 * the same address, reason and source.
 */
export function unneutralise(cell: string): string {
  return cell.length > 1 && cell[0] === "'" && FORMULA_START.test(cell.slice(1))
    ? cell.slice(1)
    : cell;
}
