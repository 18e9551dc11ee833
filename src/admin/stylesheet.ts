/** The only stylesheet of the operator pages: served as a file so the CSP can forbid inline styles. */
export const STYLESHEET = `
:root { color-scheme: light; --ink: #1b1f24; --muted: #57606a; --line: #d0d7de; --accent: #0b5cad;
  --bg: #f6f8fa; --ok: #1a7f37; --warn: #9a3412; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); background: #fff; }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: 1rem; background: #fff; padding: .5rem; z-index: 1; }
header { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; justify-content: space-between;
  padding: .75rem 1.5rem; background: var(--bg); border-bottom: 1px solid var(--line); }
header .brand { font-weight: 600; }
header nav ul { display: flex; gap: 1.25rem; list-style: none; margin: 0; padding: 0; }
header form { display: flex; gap: .75rem; align-items: center; margin: 0; color: var(--muted); }
main { max-width: 72rem; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
h2 { font-size: 1.15rem; margin: 2rem 0 .75rem; }
label { font-weight: 600; }
input[type=text], input[type=search], input[type=password], input[type=email] {
  font: inherit; padding: .4rem .6rem; border: 1px solid #8c959f; border-radius: 6px; min-width: 18rem; }
input[type=checkbox] { width: 1.2rem; height: 1.2rem; vertical-align: -.2rem; }
button { font: inherit; padding: .4rem 1rem; border-radius: 6px; border: 1px solid #1f4f85;
  background: var(--accent); color: #fff; cursor: pointer; }
button.link { background: none; border: none; color: var(--accent); text-decoration: underline; padding: 0; }
.row { display: flex; flex-wrap: wrap; gap: .75rem; align-items: end; }
.field { display: flex; flex-direction: column; gap: .25rem; }
.hint { color: var(--muted); font-size: .9rem; margin: .25rem 0 0; }
.notice { border-left: 4px solid var(--ok); background: #dafbe1; padding: .6rem 1rem; margin: 0 0 1rem; }
.error { border-left: 4px solid var(--warn); background: #fff1e6; padding: .6rem 1rem; margin: 0 0 1rem; }
table { border-collapse: collapse; width: 100%; font-size: .95rem; }
caption { text-align: left; color: var(--muted); padding-bottom: .4rem; }
th, td { text-align: left; vertical-align: top; padding: .4rem .6rem; border-bottom: 1px solid var(--line); }
thead th { background: var(--bg); }
dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1.25rem; margin: 0; }
dl.fields dt { color: var(--muted); }
dl.fields dd { margin: 0; overflow-wrap: anywhere; }
dl.attrs { display: grid; grid-template-columns: max-content 1fr; gap: 0 .75rem; margin: 0; }
dl.attrs dt { color: var(--muted); }
dl.attrs dd { margin: 0; overflow-wrap: anywhere; }
.box { border: 1px solid var(--line); border-radius: 8px; padding: 1rem 1.25rem; margin: 1rem 0; }
.box h2 { margin-top: 0; }
.status-yes { color: var(--warn); font-weight: 600; }
.status-no { color: var(--ok); font-weight: 600; }
.pager { display: flex; gap: 1.5rem; margin-top: .75rem; }
.login { max-width: 24rem; margin: 4rem auto; }
.login .field { margin-bottom: 1rem; }
.login input { min-width: 0; width: 100%; }
`;
