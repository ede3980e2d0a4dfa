"""The dashboard page: one self-contained HTML document (inline CSS and JS, no network assets).

It polls `/api/campaigns` and redraws. Stable hooks for browser tests: `#campaigns` (table
body, one `tr[data-campaign-id]` per campaign with `.campaign-name`, `.status`,
`.success-rate`, `.abandonment`, `.failover-status` and an inline `svg.sparkline` whose
`polyline` has one point per reading from the first with dials on), `#failovers` (table
body, one `tr[data-failover]` per record), `#dial-lists` (table body, one
`tr[data-calling-list-id]` per synced calling list), `#warnings` and `#updated`. Text goes
in through `textContent` only, so no API value is parsed as HTML. `CONTENT_SECURITY_POLICY`
allows exactly the inline style and script below (by hash) and requests to this app.
"""

from __future__ import annotations

from .security import content_security_policy

REFRESH_SECONDS = 5

STYLE = """
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1d2430; }
  h1 { font-size: 1.3rem; margin: 0 0 .25rem; }
  h2 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
  table { border-collapse: collapse; width: 100%; max-width: 72rem; }
  th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #dde2ea; }
  th { font-weight: 600; background: #f3f5f9; }
  .num { text-align: right; font-variant-numeric: tabular-nums; }
  .low { color: #b42318; font-weight: 600; }
  .campaign-name { font-weight: 600; }
  .campaign-id { color: #5b6475; font-family: ui-monospace, monospace; font-size: .85em; }
  .status-active { color: #067647; }
  .status-paused { color: #93370d; }
  .failover-failed_over { color: #93370d; font-weight: 600; }
  .failover-restored { color: #067647; }
  .abandonment-warning { color: #93370d; font-weight: 600; }
  .abandonment-over { color: #b42318; font-weight: 600; }
  .files { font-family: ui-monospace, monospace; font-size: .85em; white-space: pre-line; }
  .sparkline { width: 120px; height: 28px; display: block; }
  .sparkline polyline { fill: none; stroke: #2e5aac; stroke-width: 1.5; }
  .sparkline circle { fill: #2e5aac; }
  .sparkline line { stroke: #b42318; stroke-width: 1; stroke-dasharray: 3 2; }
  tr.alert td { background: #fef3f2; color: #b42318; font-weight: 600; }
  #warnings { color: #b42318; }
  #updated, .empty { color: #5b6475; }
"""

SCRIPT = """
"use strict";
const REFRESH_MS = __REFRESH_MS__;

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text === null || text === undefined ? "\\u2014" : String(text);
  if (className) td.className = className;
  return td;
}

// A campaign as "Name id" (the name once the dashboard has read it), or a dash.
function campaignCell(row, id, names, className) {
  const td = cell(row, id ? "" : null, className);
  if (!id) return td;
  if (names[id]) {
    const name = document.createElement("span");
    name.className = "campaign-name";
    name.textContent = names[id];
    td.append(name, " ");
  }
  const code = document.createElement("span");
  code.className = "campaign-id";
  code.textContent = id;
  td.append(code);
  return td;
}

function percent(rate) {
  return typeof rate === "number" ? (rate * 100).toFixed(1) + "%" : null;
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : null;
}

// One polyline point per reading, oldest left. The y scale spans the readings and the
// threshold: on a fixed 0-100% scale typical rates of a few percent sat in the bottom pixels,
// under the threshold's dashes. A dot marks the latest reading, so a single one shows too.
// Coordinates are computed numbers, never API text, so building the SVG as markup is safe
// (and, parsed as HTML, it needs no namespace URL).
// Readings before the campaign's first dial say 0% without meaning it: they are not drawn,
// so a collapse after them draws as the fall it is, not as a rise from zero.
function sparkline(points, threshold) {
  const width = 120, height = 28, pad = 3;
  const first = points.findIndex((p) => p.calls_attempted > 0);
  const rates = (first < 0 ? [] : points.slice(first)).map((p) => Number(p.success_rate));
  const span = typeof threshold === "number" ? rates.concat([threshold]) : rates;
  let low = span.length ? Math.min(...span) : 0, high = span.length ? Math.max(...span) : 1;
  if (high - low < 0.02) {  // a flat series sits mid-height instead of on an edge
    const middle = (high + low) / 2;
    low = middle - 0.01;
    high = middle + 0.01;
  }
  const x = (i) => (rates.length > 1
    ? pad + (i * (width - 2 * pad)) / (rates.length - 1)
    : width - pad).toFixed(1);
  const y = (rate) =>
    (height - pad - ((rate - low) / (high - low)) * (height - 2 * pad)).toFixed(1);
  const limit = typeof threshold === "number"
    ? '<line x1="0" x2="' + width + '" y1="' + y(threshold) + '" y2="' + y(threshold) + '"/>'
    : "";
  const coords = rates.map((rate, i) => x(i) + "," + y(rate)).join(" ");
  const last = rates.length
    ? '<circle r="2" cx="' + x(rates.length - 1) + '" cy="' + y(rates[rates.length - 1]) + '"/>'
    : "";
  const template = document.createElement("template");
  template.innerHTML = '<svg class="sparkline" viewBox="0 0 ' + width + " " + height +
    '" role="img">' + limit + '<polyline points="' + coords + '"/>' + last + "</svg>";
  const svg = template.content.firstChild;
  svg.setAttribute("aria-label", rates.length + " recent success-rate readings");
  return svg;
}

function emptyRow(body, columns, text) {
  const row = body.insertRow();
  row.className = "empty";
  const td = cell(row, text);
  td.colSpan = columns;
}

const FAILOVER_TEXT = {
  failed_over: "failed over",
  failover_incomplete: "INCOMPLETE: primary paused, backup not resumed",
  restored: "restored",
};

function abandonmentText(a) {
  if (!a) return "";
  if (a.level === "no_answered_calls") return "no answered calls";
  return percent(a.rate) + (a.level === "ok" ? "" : " (" + a.level + ")");
}

function renderCampaigns(campaigns, names) {
  const body = document.getElementById("campaigns");
  body.replaceChildren();
  if (!campaigns.length) return emptyRow(body, 9, "No campaigns yet.");
  for (const c of campaigns) {
    const row = body.insertRow();
    row.dataset.campaignId = c.campaign_id;
    const threshold = c.pair ? c.pair.threshold : null;
    campaignCell(row, c.campaign_id, names, "campaign");
    cell(row, c.status, "status" + (c.status ? " status-" + c.status : ""));
    const low = threshold !== null && c.success_rate !== null && c.success_rate < threshold;
    cell(row, percent(c.success_rate), "success-rate num" + (low ? " low" : ""));
    cell(row, c.calls_attempted, "calls-attempted num");
    cell(row, c.active_calls, "active-calls num");
    cell(row, "", "trend").replaceChildren(sparkline(c.points, threshold));
    const abandonment = cell(row, abandonmentText(c.abandonment),
      "abandonment num" + (c.abandonment ? " abandonment-" + c.abandonment.level : ""));
    if (c.abandonment) abandonment.title = "30-day rate, read " + when(c.abandonment.checked_at);
    campaignCell(row, c.pair ? c.pair.backup_campaign_id : null, names, "backup");
    const failover = c.failover_status;
    cell(row, FAILOVER_TEXT[failover] || "no",
      "failover-status" + (failover ? " failover-" + failover : ""));
    if (failover === "failover_incomplete") row.classList.add("alert");
  }
}

function renderFailovers(failovers, names) {
  const body = document.getElementById("failovers");
  body.replaceChildren();
  if (!failovers.length) return emptyRow(body, 8, "No failovers.");
  for (const f of failovers) {
    const row = body.insertRow();
    row.dataset.failover = f.name;
    row.title = f.operation + " (record " + f.name + ")";
    cell(row, f.kind, "kind");
    campaignCell(row, f.primary_campaign_id, names, "primary");
    campaignCell(row, f.backup_campaign_id, names, "backup");
    cell(row, f.episode, "episode num");
    cell(row, f.status, "status status-" + f.status);
    cell(row, when(f.created_at), "created-at");
    cell(row, when(f.updated_at), "updated-at");
    cell(row, f.error, "error");
  }
}

function dncText(l, names) {
  if (!l.dnc_group) return "none named";
  const added = l.dnc_added == null ? "" : " (+" + l.dnc_added + ")";
  const skill = l.scrubbed_skill;
  const scrub = skill
    ? "; scrubs skill " + (names[skill] ? names[skill] + " " : "") + skill
    : "; scrubs no skill";
  return l.dnc_group + added + scrub;
}

function renderDialLists(lists, names) {
  const body = document.getElementById("dial-lists");
  body.replaceChildren();
  if (!lists.length) return emptyRow(body, 8, "No dial list synced yet.");
  for (const l of lists) {
    const row = body.insertRow();
    row.dataset.callingListId = l.calling_list_id;
    cell(row, l.calling_list, "calling-list");
    cell(row, l.for_day || "", "for-day");
    cell(row, when(l.synced_at), "synced-at");
    cell(row, l.dialable, "dialable num");
    cell(row, l.suppressed, "suppressed num");
    const reasons = Object.entries(l.by_reason).sort((a, b) => b[1] - a[1]);
    cell(row, reasons.map(([reason, n]) => reason + " " + n).join(", "), "by-reason");
    cell(row, dncText(l, names), "dnc-group");
    cell(row, [l.dialable_file, l.suppressed_file].filter(Boolean).join("\\n"), "files");
  }
}

async function refresh() {
  try {
    const response = await fetch("api/campaigns", { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error("HTTP " + response.status);
    const data = await response.json();
    renderCampaigns(data.campaigns, data.names);
    renderFailovers(data.failovers, data.names);
    renderDialLists(data.dial_lists, data.names);
    document.getElementById("warnings").textContent = data.warnings.join(" ");
    document.getElementById("updated").textContent =
      "Updated " + new Date().toLocaleTimeString();
  } catch (error) {
    document.getElementById("warnings").textContent = "Refresh failed: " + error.message;
  } finally {
    setTimeout(refresh, REFRESH_MS);
  }
}

refresh();
""".replace("__REFRESH_MS__", str(REFRESH_SECONDS * 1000))

PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>CXone campaign health</title>
<style>{STYLE}</style>
</head>
<body>
<h1>CXone campaign health</h1>
<div id="updated">Loading&hellip;</div>
<div id="warnings"></div>
<h2>Campaigns</h2>
<table>
  <thead><tr><th>Campaign</th><th>Status</th><th class="num">Success rate</th>
  <th class="num">Attempted</th><th class="num">Active</th><th>Trend</th>
  <th class="num">Abandoned (30 d)</th><th>Backup</th><th>Failover</th></tr></thead>
  <tbody id="campaigns"><tr class="empty"><td colspan="9">No campaigns yet.</td></tr></tbody>
</table>
<h2>Failover history</h2>
<table>
  <thead><tr><th>What</th><th>Primary</th><th>Backup</th><th class="num">Episode</th>
  <th>Status</th><th>Started</th><th>Updated</th><th>Error</th></tr></thead>
  <tbody id="failovers"><tr class="empty"><td colspan="8">No failovers.</td></tr></tbody>
</table>
<h2>Dial lists</h2>
<table>
  <thead><tr><th>Calling list</th><th>Day</th><th>Synced</th><th class="num">Dialable</th>
  <th class="num">Suppressed</th><th>By reason</th><th>DNC group</th><th>Files</th></tr></thead>
  <tbody id="dial-lists"><tr class="empty"><td colspan="8">No dial list synced yet.</td></tr>
  </tbody>
</table>
<script>{SCRIPT}</script>
</body>
</html>
"""

CONTENT_SECURITY_POLICY = content_security_policy(style=STYLE, script=SCRIPT)
