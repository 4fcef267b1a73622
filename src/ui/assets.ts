// The web UI's only assets, served by zerocve itself (no CDN: air-gapped sites). The script does one thing:
// copy buttons. Everything else (filters, sorting, pagination) is plain links and GET forms.

export const UI_CSS =
  `
:root { --fg:#1b1f24; --muted:#4a5361; --bg:#fff; --line:#d0d7de; --accent:#0550ae; --ok:#116329; --bad:#a40e26;
  --critical:#8b0000; --high:#c4320a; --medium:#9a6700; --low:#0969da; --negligible:#57606a; --unknown:#6e7781; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); margin: 0; }
a { color: var(--accent); }
a:focus, button:focus, input:focus, select:focus, summary:focus { outline: 3px solid #fb8c00; outline-offset: 1px; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 8px; top: 8px; background: #fff; padding: 4px; }
header.top { display: flex; gap: 24px; align-items: center; padding: 10px 20px; background: #24292f; color: #fff; }
header.top .muted { color: #d0d7de; margin-left: auto; }
header.top nav { display: flex; gap: 18px; }
header.top a { color: #fff; text-decoration: none; font-weight: 600; }
header.top a[aria-current] { text-decoration: underline; }
header.top .brand { font-size: 18px; margin-right: 12px; }
main { padding: 12px 20px 40px; max-width: 1400px; }
h1 { font-size: 22px; margin: 8px 0 4px; } h2 { font-size: 17px; margin: 22px 0 6px; }
.muted { color: var(--muted); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
form.filters { display: flex; flex-wrap: wrap; gap: 10px 16px; align-items: end; margin: 10px 0; }
form.filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); }
form.filters fieldset { display: flex; gap: 10px; border: 1px solid var(--line); padding: 2px 8px 6px; }
form.filters label.inline { flex-direction: row; gap: 4px; align-items: center; font-size: 14px; color: var(--fg); }
input, select, button, textarea { font: inherit; padding: 3px 6px; border: 1px solid #8c959f; border-radius: 4px; }
button { background: #f6f8fa; cursor: pointer; }
button.primary { background: var(--accent); color: #fff; border-color: var(--accent); }
.tier { display: inline-block; padding: 0 6px; border-radius: 10px; font-size: 12px; font-weight: 600; ` +
  `border: 1px solid; }
.tier-golden { color: #6b4b00; background: #fff4c2; } .tier-candidate { color: #0a3069; background: #ddf4ff; }
.tier-deprecated { color: #4a5361; background: #eaeef2; } .tier-blocked { color: #82071e; background: #ffebe9; }
.pass { color: var(--ok); font-weight: 600; } .fail { color: var(--bad); font-weight: 600; }
.sev { font-weight: 600; text-transform: uppercase; font-size: 12px; }
.sev-critical { color: var(--critical); } .sev-high { color: var(--high); } .sev-medium { color: var(--medium); }
.sev-low { color: var(--low); } .sev-negligible, .sev-unknown { color: var(--negligible); }
code.pull { font-size: 12px; word-break: break-all; }
.repo { font-weight: 600; }
.pager { display: flex; gap: 12px; align-items: center; margin: 10px 0; }
dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 6px 0; }
dl.summary dt { color: var(--muted); } dl.summary dd { margin: 0; }
pre { background: #f6f8fa; padding: 8px; overflow-x: auto; font-size: 12px; }
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 20px; }
.notice { border-left: 4px solid var(--bad); background: #ffebe9; padding: 8px 12px; margin: 10px 0; }
details.triage { margin-top: 4px; } details.triage form { display: grid; gap: 4px; max-width: 420px; }
svg text { font: 11px system-ui, sans-serif; fill: #1b1f24; }
.legend span { margin-right: 10px; font-size: 12px; }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 3px; }
.legend .k-critical { background: var(--critical); } .legend .k-high { background: var(--high); }
.legend .k-medium { background: var(--medium); } .legend .k-low { background: var(--low); }
.legend .k-negligible { background: var(--negligible); } .legend .k-unknown { background: var(--unknown); }
`;

export const UI_JS = `
document.addEventListener('click', function (e) {
  var b = e.target.closest && e.target.closest('button[data-copy]');
  if (!b) return;
  var text = b.getAttribute('data-copy');
  var done = function () { b.textContent = 'Copied'; setTimeout(function () { b.textContent = 'Copy'; }, 1500); };
  if (navigator.clipboard) navigator.clipboard.writeText(text).then(done, function () {});
});
`;

/** Severity colours for SVG fill attributes (the same as the CSS variables; contrast ≥ 4.5:1 on white). */
export const SEV_COLORS: Record<string, string> = {
  critical: '#8b0000',
  high: '#c4320a',
  medium: '#9a6700',
  low: '#0969da',
  negligible: '#57606a',
  unknown: '#6e7781',
};
