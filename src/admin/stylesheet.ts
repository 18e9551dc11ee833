/** The only stylesheet of the operator pages: served as a file so the CSP can forbid inline styles. */
export const STYLESHEET = `
:root { color-scheme: light; --ink: #1b1f24; --muted: #57606a; --line: #d0d7de; --accent: #0b5cad;
  --bg: #f6f8fa; --ok: #1a7f37; --warn: #9a3412; --field: #6e7781; --focus: #0b5cad; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); background: #fff; }
a { color: var(--accent); }
/* Focus ring: 3px, #0b5cad on white is 6.6:1 (WCAG 2.2 asks 3:1). */
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible,
textarea:focus-visible, summary:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: 1rem; background: #fff; padding: .5rem; z-index: 1; }
main:focus { outline: none; }
header { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; justify-content: space-between;
  padding: .75rem 1.5rem; background: var(--bg); border-bottom: 1px solid var(--line); }
header .brand { font-weight: 600; }
/* The page the operator is on: bold and not underlined, besides aria-current for screen readers. */
header nav a[aria-current=page] { font-weight: 600; text-decoration: none; color: var(--ink); }
header nav ul { display: flex; flex-wrap: wrap; gap: .25rem 1.25rem; list-style: none; margin: 0; padding: 0; }
header form { display: flex; flex-wrap: wrap; gap: .75rem; align-items: center; margin: 0; color: var(--muted); }
main { max-width: 72rem; margin: 0 auto; padding: 1.5rem; overflow-wrap: anywhere; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; overflow-wrap: anywhere; }
h2 { font-size: 1.15rem; margin: 2rem 0 .75rem; overflow-wrap: anywhere; }
label, legend { font-weight: 600; }
fieldset { border: 1px solid var(--line); border-radius: 8px; margin: 0 0 1rem; padding: .5rem 1rem 1rem; min-width: 0; }
/* Field borders: #6e7781 on white is 4.6:1 (3:1 needed for a control's boundary). */
input[type=text], input[type=search], input[type=password], input[type=email], input[type=date],
input[type=file], select, textarea {
  font: inherit; padding: .4rem .6rem; border: 1px solid var(--field); border-radius: 6px;
  background: #fff; color: var(--ink); max-width: 100%; }
input[type=text], input[type=search], input[type=password], input[type=email] { min-width: 18rem; }
textarea { width: 100%; }
input[type=checkbox] { width: 1.2rem; height: 1.2rem; vertical-align: -.2rem; accent-color: var(--accent); }
button { font: inherit; padding: .4rem 1rem; border-radius: 6px; border: 1px solid #1f4f85;
  background: var(--accent); color: #fff; cursor: pointer; }
button.link { background: none; border: none; color: var(--accent); text-decoration: underline; padding: 0; }
.row { display: flex; flex-wrap: wrap; gap: .75rem; align-items: end; }
.field { display: flex; flex-direction: column; gap: .25rem; min-width: 0; }
.hint { color: var(--muted); font-size: .9rem; margin: .25rem 0 0; }
.notice { border-left: 4px solid var(--ok); background: #dafbe1; padding: .6rem 1rem; margin: 0 0 1rem; }
.error { border-left: 4px solid var(--warn); background: #fff1e6; padding: .6rem 1rem; margin: 0 0 1rem; }
.field .error { margin: 0; }
/* A field an error is about: a thicker border in the error's colour, beside the words saying so. */
[aria-invalid=true] { border: 2px solid var(--warn); }
table { border-collapse: collapse; width: 100%; font-size: .95rem; }
caption { text-align: left; color: var(--muted); padding-bottom: .4rem; }
/* break-word, not anywhere: a column is as wide as its longest word where there is room. */
th, td { text-align: left; vertical-align: top; padding: .4rem .6rem; border-bottom: 1px solid var(--line);
  overflow-wrap: break-word; }
td.narrow { white-space: nowrap; }
thead th { background: var(--bg); }
details summary { cursor: pointer; color: var(--accent); }
dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1.25rem; margin: 0 0 1rem; }
dl.fields dt { color: var(--muted); }
dl.fields dd { margin: 0; overflow-wrap: anywhere; }
dl.attrs { display: grid; grid-template-columns: max-content 1fr; gap: 0 .75rem; margin: .25rem 0 0; }
dl.attrs dt { color: var(--muted); }
dl.attrs dd { margin: 0; overflow-wrap: break-word; }
/* A character that shows nothing of itself (a bidi control, a zero-width space), shown as its code point. */
.unseen { font: .8em/1.2 ui-monospace, monospace; color: var(--warn); border: 1px solid var(--warn);
  border-radius: 3px; padding: 0 .15em; margin: 0 .1em; white-space: nowrap; display: inline-block; }
/* A value with a run longer than a column should be (a reason without spaces): breaks anywhere. */
.long { overflow-wrap: anywhere; }
.box { border: 1px solid var(--line); border-radius: 8px; padding: 1rem 1.25rem; margin: 1rem 0; }
.box h2 { margin-top: 0; }
.status-yes { color: var(--warn); font-weight: 600; }
.status-no { color: var(--ok); font-weight: 600; }
.pager { display: flex; flex-wrap: wrap; gap: 1.5rem; margin-top: .75rem; }
progress { width: 100%; height: 1.25rem; }
code { overflow-wrap: anywhere; }
.login { max-width: 24rem; margin: 4rem auto; }
.login .field { margin-bottom: 1rem; }
.login input { min-width: 0; width: 100%; }
/* Phones: no table wider than the screen; each row becomes a stack of "label value" lines. */
@media (max-width: 40rem) {
  header { padding: .75rem 1rem; }
  main { padding: 1rem; }
  .row, .row .field { width: 100%; }
  .row > button { width: auto; }
  input[type=text], input[type=search], input[type=password], input[type=email], input[type=date],
  input[type=file], select { min-width: 0; width: 100%; }
  dl.fields { grid-template-columns: 1fr; gap: 0; }
  dl.fields dd { margin-bottom: .5rem; }
  dl.attrs { grid-template-columns: minmax(0, 1fr); }
  dl.attrs dd { margin-bottom: .25rem; overflow-wrap: anywhere; }
  table.stack, table.stack tbody, table.stack tr, table.stack td { display: block; width: 100%; }
  table.stack caption { display: block; }
  table.stack thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  table.stack tr { border: 1px solid var(--line); border-radius: 8px; margin: 0 0 .75rem; padding: .25rem .5rem; }
  table.stack td { display: grid; grid-template-columns: 7.5rem minmax(0, 1fr); gap: .5rem; border: none;
    padding: .2rem 0; overflow-wrap: anywhere; }
  table.stack td::before { content: attr(data-label); color: var(--muted); font-weight: 600; }
  td.narrow { white-space: normal; }
}
`;
