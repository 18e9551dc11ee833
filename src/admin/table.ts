import { html, type HtmlValue, type SafeHtml } from './html.js';

export interface Column<T> {
  label: string;
  cell: (row: T) => HtmlValue;
  /** A narrow column (ids, counts): kept from wrapping on wide screens. */
  narrow?: boolean;
}

/**
 * The one table of the operator pages. Each cell carries its column's label, so that on a
 * narrow screen the stylesheet can show every row as a stack of "label: value" lines instead
 * of a table wider than the screen.
 */
export function table<T>(options: {
  caption: HtmlValue;
  columns: ReadonlyArray<Column<T>>;
  rows: readonly T[];
  empty: HtmlValue;
}): SafeHtml {
  const { columns, rows } = options;
  if (rows.length === 0) return html`<p>${options.empty}</p>`;
  return html`<table class="stack">
    <caption>
      ${options.caption}
    </caption>
    <thead>
      <tr>
        ${columns.map((c) => html`<th scope="col">${c.label}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (row) =>
          html`<tr>
            ${columns.map(
              (c) =>
                html`<td data-label="${c.label}" ${c.narrow ? html` class="narrow"` : ''}>
                  ${c.cell(row)}
                </td>`,
            )}
          </tr>`,
      )}
    </tbody>
  </table>`;
}
