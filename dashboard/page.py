"""The dashboard page: one self-contained HTML document (inline CSS and JS, no network assets).

It polls `/api/campaigns` and redraws. Stable hooks for browser tests: `#campaigns` (table
body, one `tr[data-campaign-id]` per campaign with `.status`, `.success-rate` and an inline
`svg.sparkline`), `#failovers` (table body, one `tr[data-failover]` per record), `#warnings`
and `#updated`. Text goes in through `textContent` only, so no API value is parsed as HTML.
"""

from __future__ import annotations

REFRESH_SECONDS = 5

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>CXone campaign health</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1d2430; }
  h1 { font-size: 1.3rem; margin: 0 0 .25rem; }
  h2 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
  table { border-collapse: collapse; width: 100%; max-width: 60rem; }
  th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #dde2ea; }
  th { font-weight: 600; background: #f3f5f9; }
  .num { text-align: right; font-variant-numeric: tabular-nums; }
  .low { color: #b42318; font-weight: 600; }
  .status-active { color: #067647; }
  .status-paused { color: #93370d; }
  .sparkline { width: 120px; height: 28px; display: block; }
  .sparkline polyline { fill: none; stroke: #2e5aac; stroke-width: 1.5; }
  .sparkline line { stroke: #b42318; stroke-width: 1; stroke-dasharray: 3 2; }
  tr.alert td { background: #fef3f2; color: #b42318; font-weight: 600; }
  #warnings { color: #b42318; }
  #updated, .empty { color: #5b6475; }
</style>
</head>
<body>
<h1>CXone campaign health</h1>
<div id="updated">Loading&hellip;</div>
<div id="warnings"></div>
<h2>Campaigns</h2>
<table>
  <thead><tr><th>Campaign</th><th>Status</th><th class="num">Success rate</th>
  <th class="num">Attempted</th><th class="num">Active</th><th>Trend</th><th>Backup</th>
  <th>Failover</th></tr></thead>
  <tbody id="campaigns"><tr class="empty"><td colspan="8">No campaigns yet.</td></tr></tbody>
</table>
<h2>Failover history</h2>
<table>
  <thead><tr><th>What</th><th>Primary</th><th>Backup</th><th class="num">Episode</th>
  <th>Status</th><th>Started</th><th>Updated</th><th>Error</th></tr></thead>
  <tbody id="failovers"><tr class="empty"><td colspan="8">No failovers.</td></tr></tbody>
</table>
<script>
"use strict";
const REFRESH_MS = __REFRESH_MS__;

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text === null || text === undefined ? "\\u2014" : String(text);
  if (className) td.className = className;
  return td;
}

function percent(rate) {
  return typeof rate === "number" ? (rate * 100).toFixed(1) + "%" : null;
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : null;
}

// Coordinates are computed numbers, never API text, so building the SVG as markup is safe
// (and, parsed as HTML, it needs no namespace URL).
function sparkline(points, threshold) {
  const width = 120, height = 28, rates = points.map((p) => Number(p.success_rate));
  const step = rates.length > 1 ? width / (rates.length - 1) : 0;
  const y = (rate) => (height - 2 - rate * (height - 4)).toFixed(1);
  const coords = rates.map((rate, i) => (i * step).toFixed(1) + "," + y(rate)).join(" ");
  const limit = typeof threshold === "number"
    ? '<line x1="0" x2="' + width + '" y1="' + y(threshold) + '" y2="' + y(threshold) + '"/>'
    : "";
  const template = document.createElement("template");
  template.innerHTML = '<svg class="sparkline" viewBox="0 0 ' + width + " " + height +
    '" preserveAspectRatio="none" role="img">' + limit +
    '<polyline points="' + coords + '"/></svg>';
  const svg = template.content.firstChild;
  svg.setAttribute("aria-label", rates.length + " recent success-rate points");
  return svg;
}

function emptyRow(body, columns, text) {
  const row = body.insertRow();
  row.className = "empty";
  const td = cell(row, text);
  td.colSpan = columns;
}

function renderCampaigns(campaigns) {
  const body = document.getElementById("campaigns");
  body.replaceChildren();
  if (!campaigns.length) return emptyRow(body, 8, "No campaigns yet.");
  for (const c of campaigns) {
    const row = body.insertRow();
    row.dataset.campaignId = c.campaign_id;
    const threshold = c.pair ? c.pair.threshold : null;
    cell(row, c.campaign_id, "campaign-id");
    cell(row, c.status, "status" + (c.status ? " status-" + c.status : ""));
    const low = threshold !== null && c.success_rate !== null && c.success_rate < threshold;
    cell(row, percent(c.success_rate), "success-rate num" + (low ? " low" : ""));
    cell(row, c.calls_attempted, "calls-attempted num");
    cell(row, c.active_calls, "active-calls num");
    cell(row, "", "trend").replaceChildren(sparkline(c.points, threshold));
    cell(row, c.pair ? c.pair.backup_campaign_id : null, "backup");
    cell(row, FAILOVER_TEXT[c.failover_status] || "no", "failover-status");
    if (c.failover_status === "failover_incomplete") row.classList.add("alert");
  }
}

const FAILOVER_TEXT = {
  failed_over: "failed over",
  failover_incomplete: "INCOMPLETE: primary paused, backup not resumed",
  restored: "restored",
};

function renderFailovers(failovers) {
  const body = document.getElementById("failovers");
  body.replaceChildren();
  if (!failovers.length) return emptyRow(body, 8, "No failovers.");
  for (const f of failovers) {
    const row = body.insertRow();
    row.dataset.failover = f.name;
    row.title = f.operation + " (record " + f.name + ")";
    cell(row, f.kind, "kind");
    cell(row, f.primary_campaign_id, "primary");
    cell(row, f.backup_campaign_id, "backup");
    cell(row, f.episode, "episode num");
    cell(row, f.status, "status status-" + f.status);
    cell(row, when(f.created_at), "created-at");
    cell(row, when(f.updated_at), "updated-at");
    cell(row, f.error, "error");
  }
}

async function refresh() {
  try {
    const response = await fetch("api/campaigns", { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error("HTTP " + response.status);
    const data = await response.json();
    renderCampaigns(data.campaigns);
    renderFailovers(data.failovers);
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
</script>
</body>
</html>
""".replace("__REFRESH_MS__", str(REFRESH_SECONDS * 1000))
