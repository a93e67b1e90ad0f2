// The dashboard page: reads /api/services and /api/community and draws inline SVG charts.
// No libraries and nothing from the internet: the machines it runs on may have no access.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const W = 640, H = 260, PAD = { left: 44, right: 12, top: 28, bottom: 36 };
const CATEGORY = {
  citizen: { label: "市民 Citizen", color: "#2b6cb0" },
  prospective_migrant: { label: "移住検討 Prospective migrant", color: "#dd6b20" },
  remote_citizen: { label: "関係人口 Remote citizen", color: "#38a169" },
  unknown: { label: "未登録 Not yet onboarded", color: "#a0aec0" },
};
const STATUS = {
  open: "受付中 Open", under_review: "検討中 Under review", accepted: "採用 Accepted",
  declined: "見送り Declined", launched: "実施中 Launched", completed: "完了 Completed",
};
const OFFICE_ROLE = {
  employee: "職員 Employee", section_chief: "課長 Section chief", ambassador: "アンバサダー Ambassador", admin: "管理者 Admin",
};
const REFRESH_MS = 15000;

function el(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function clear(svg) {
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  svg.removeAttribute("data-drawn");
}

function niceMax(value) {
  if (value <= 0) return 1;
  const step = Math.pow(10, Math.floor(Math.log10(value)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * step >= value) return m * step;
  return 10 * step;
}

function empty(svg, message) {
  svg.appendChild(el("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "empty" }, message || "データなし / No data yet"));
}

function legend(svg, series) {
  let x = PAD.left;
  for (const s of series) {
    svg.appendChild(el("rect", { x, y: 8, width: 10, height: 10, fill: s.color }));
    const label = el("text", { x: x + 14, y: 17 }, s.name);
    svg.appendChild(label);
    x += 22 + s.name.length * 6.2;
  }
}

function axes(svg, labels, max) {
  const bottom = H - PAD.bottom, plotH = H - PAD.top - PAD.bottom;
  for (const f of [0, 0.5, 1]) {
    const y = bottom - f * plotH;
    svg.appendChild(el("line", { x1: PAD.left, x2: W - PAD.right, y1: y, y2: y, class: f ? "gridline" : "axis" }));
    const tick = max * f;
    svg.appendChild(el("text", { x: PAD.left - 6, y: y + 4, "text-anchor": "end" }, tick % 1 ? tick.toFixed(1) : String(tick)));
  }
  const slot = (W - PAD.left - PAD.right) / Math.max(labels.length, 1);
  const every = Math.max(1, Math.ceil(labels.length / 12));
  labels.forEach((label, i) => {
    if (i % every === 0) {
      svg.appendChild(el("text", { x: PAD.left + slot * (i + 0.5), y: bottom + 16, "text-anchor": "middle" }, label));
    }
  });
  return { bottom, plotH, slot };
}

// Vertical bars per month: stacked (one bar of segments) or grouped (bars side by side).
function barChart(svg, labels, series, stacked) {
  clear(svg);
  const totals = labels.map((_, i) => stacked
    ? series.reduce((sum, s) => sum + (s.values[i] || 0), 0)
    : Math.max(...series.map((s) => s.values[i] || 0)));
  if (!labels.length || Math.max(...totals) <= 0) { empty(svg); return; }
  const max = niceMax(Math.max(...totals));
  const { bottom, plotH, slot } = axes(svg, labels, max);
  legend(svg, series);
  const barW = Math.max(2, slot * 0.7 / (stacked ? 1 : series.length));
  labels.forEach((label, i) => {
    let base = bottom;
    series.forEach((s, k) => {
      const value = s.values[i] || 0;
      if (value <= 0) return;
      const h = (value / max) * plotH;
      const x = PAD.left + slot * i + slot * 0.15 + (stacked ? 0 : k * barW);
      const rect = el("rect", { x, y: (stacked ? base : bottom) - h, width: barW, height: h, fill: s.color, class: "bar" });
      rect.appendChild(el("title", {}, `${label} ${s.name}: ${value}`));
      svg.appendChild(rect);
      if (stacked) base -= h;
    });
  });
  svg.setAttribute("data-drawn", "true");
}

function lineChart(svg, labels, series) {
  clear(svg);
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values)));
  if (!labels.length || series.every((s) => s.values.every((v) => !v))) { empty(svg); return; }
  const { bottom, plotH, slot } = axes(svg, labels, max);
  legend(svg, series);
  for (const s of series) {
    const points = s.values.map((v, i) => [PAD.left + slot * (i + 0.5), bottom - (v / max) * plotH]);
    const d = points.map(([x, y], i) => `${i ? "L" : "M"}${x.toFixed(1)},${y.toFixed(1)}`).join(" ");
    svg.appendChild(el("path", { d, fill: "none", stroke: s.color, "stroke-width": 2.5, class: "line" }));
    points.forEach(([x, y], i) => {
      const dot = el("circle", { cx: x, cy: y, r: 3.5, fill: s.color, class: "point" });
      dot.appendChild(el("title", {}, `${labels[i]} ${s.name}: ${s.values[i]}`));
      svg.appendChild(dot);
    });
  }
  svg.setAttribute("data-drawn", "true");
}

// Horizontal bars: one row per item, the value written at the end of the bar.
function hbarChart(svg, rows) {
  clear(svg);
  rows = rows.slice(0, 8);
  const max = Math.max(0, ...rows.map((r) => r.value || 0));
  if (!rows.length || max <= 0) { empty(svg); return; }
  const labelW = 190, rowH = Math.min(30, (H - 16) / rows.length), plotW = W - labelW - 150;  // room for the value
  rows.forEach((row, i) => {
    const y = 8 + i * rowH;
    svg.appendChild(el("text", { x: labelW - 8, y: y + rowH * 0.62, "text-anchor": "end" }, row.label));
    const width = Math.max(row.value > 0 ? 2 : 0, (row.value / max) * plotW);
    const rect = el("rect", { x: labelW, y: y + rowH * 0.15, width, height: rowH * 0.7, fill: row.color || "#2c7a7b", class: "bar" });
    rect.appendChild(el("title", {}, `${row.label}: ${row.value}`));
    svg.appendChild(rect);
    svg.appendChild(el("text", { x: labelW + width + 6, y: y + rowH * 0.62 }, row.text || String(row.value)));
  });
  svg.setAttribute("data-drawn", "true");
}

function cell(row, text, cls) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "–" : String(text);
  if (cls) td.className = cls;
  row.appendChild(td);
  return td;
}

function fillTable(id, items, columns) {
  const body = document.querySelector(`#${id} tbody`);
  body.replaceChildren();
  if (!items.length) {
    const tr = document.createElement("tr");
    const td = cell(tr, "なし / none", "muted-cell");
    td.colSpan = columns.length;
    body.appendChild(tr);
    return;
  }
  for (const item of items) {
    const tr = document.createElement("tr");
    for (const column of columns) {
      const [text, cls] = column(item);
      cell(tr, text, cls);
    }
    body.appendChild(tr);
  }
}

// Groups are one per service and topic: show them summed per service.
function lagByService(groups) {
  const services = new Map();
  for (const g of groups) {
    const row = services.get(g.service) || { service: g.service, lag: 0, behind: [] };
    row.lag += g.lag;
    row.behind.push(...Object.entries(g.by_topic).filter(([, n]) => n > 0));
    services.set(g.service, row);
  }
  return Array.from(services.values()).sort((a, b) => b.lag - a.lag || a.service.localeCompare(b.service));
}

function yesNo(flag) { return flag ? ["● OK", "ok"] : ["● NG", "bad"]; }

function renderServices(data) {
  fillTable("services", data.services, [
    (s) => [s.name],
    (s) => yesNo(s.healthy),
    (s) => yesNo(s.ready),
    (s) => [s.per_minute.consumed, "num"],
    (s) => [s.per_minute.published, "num"],
    (s) => [s.totals ? s.totals.dead_lettered : null, "num"],
    (s) => [s.error || Object.entries(s.checks || {}).map(([k, v]) => `${k}: ${v}`).join(", ")],
  ]);
  fillTable("lag", lagByService(data.consumer_lag), [
    (s) => [s.service],
    (s) => [s.lag, "num"],
    (s) => [s.behind.map(([t, n]) => `${t} ${n}`).join(", ") || "–"],
  ]);
  fillTable("dead-letters", data.dead_letters, [
    (d) => [d.topic],
    (d) => [d.count, "num"],
    (d) => [d.latest.length ? `${d.latest[0].reason} (${d.latest[0].group})` : "–"],
  ]);
}

function kpis(totals, windowDays) {
  const items = [
    ["住民 Residents", totals.residents], [`アクティブ（${windowDays}日） Active`, totals.active_residents],
    ["投稿 Posts", totals.posts], ["リアクション Reactions", totals.reactions],
    ["提案 Proposals", totals.proposals], ["プロジェクト Projects", totals.projects],
    ["職員応募 Applications", totals.applications], ["移住 Moved in", totals.moved_in],
  ];
  const box = document.getElementById("kpis");
  box.replaceChildren();
  for (const [label, value] of items) {
    const div = document.createElement("div");
    div.className = "kpi";
    div.innerHTML = '<div class="value"></div><div class="label"></div>';
    div.querySelector(".value").textContent = value;
    div.querySelector(".label").textContent = label;
    box.appendChild(div);
  }
}

function renderCommunity(c) {
  kpis(c.totals, c.active_window_days);
  const months = c.months;
  barChart(document.getElementById("chart-residents"), months,
    Object.entries(CATEGORY).map(([key, meta]) => ({ name: meta.label, color: meta.color, values: c.series.residents_by_category[key] })), true);
  barChart(document.getElementById("chart-activity"), months, [
    { name: "投稿 Posts", color: "#3182ce", values: c.series.posts },
    { name: "リアクション Reactions", color: "#d69e2e", values: c.series.reactions },
  ], false);
  lineChart(document.getElementById("chart-active"), months, [
    { name: "アクティブ住民 Active residents", color: "#805ad5", values: c.series.active_residents },
  ]);
  const f = c.funnel.all;
  hbarChart(document.getElementById("chart-funnel"), [
    { label: "参加 Joined", value: f.joined, color: "#4a5568" },
    { label: "登録 Onboarded", value: f.onboarded, color: "#2b6cb0" },
    { label: "移住 Moved in", value: f.moved_in, color: "#2f855a" },
    ...Object.entries(c.funnel.by_category).filter(([, row]) => row.moved_in > 0).map(([key, row]) => ({
      label: `移住 ${CATEGORY[key].label}`, value: row.moved_in, color: CATEGORY[key].color,
    })),
  ]);
  hbarChart(document.getElementById("chart-proposals"),
    Object.entries(c.proposals.by_status).map(([key, value]) => ({ label: STATUS[key] || key, value, color: "#b7791f" })));
  hbarChart(document.getElementById("chart-replies"), c.first_reply.filter((r) => r.median_minutes !== null).map((r) => ({
    label: channelLabel(r, c.channel_names || {}), value: r.median_minutes,
    text: `${r.median_minutes} 分 min (${r.answered}/${r.questions})`, color: "#319795",
  })));
  fillTable("top-proposals", c.proposals.top, [
    (p) => [p.title || p.proposal_id], (p) => [STATUS[p.status] || p.status], (p) => [p.supports, "num"],
  ]);
  fillTable("office-roles", roleRows(c.applications.granted_by_role, c.applications.revoked_by_role, OFFICE_ROLE), [
    (r) => [r.label], (r) => [r.granted, "num"], (r) => [r.revoked, "num"],
  ]);
  const categories = c.category_roles || { granted_by_category: {}, revoked_by_category: {} };
  const categoryLabels = Object.fromEntries(Object.entries(CATEGORY).map(([key, meta]) => [key, meta.label]));
  fillTable("category-roles", roleRows(categories.granted_by_category, categories.revoked_by_category, categoryLabels), [
    (r) => [r.label], (r) => [r.granted, "num"], (r) => [r.revoked, "num"],
  ]);
  fillTable("projects", c.projects.recent, [
    (p) => [p.name || p.project_id], (p) => [p.status === "completed" ? "完了 Completed" : "実施中 Active"],
    (p) => [p.launched_at.slice(0, 10)],
  ]);
}

// A department's names, else the channel's name when the read model knows it, else its id.
function channelLabel(row, names) {
  if (row.name_ja) return `${row.name_ja} ${row.name_en}`;
  return names[row.channel_id] ? `#${names[row.channel_id]}` : row.channel_id;
}

// Rows of granted / revoked counts: the known roles in their order, then any other role seen.
function roleRows(granted, revoked, labels) {
  const keys = [...Object.keys(labels), ...Object.keys({ ...granted, ...revoked }).filter((k) => !(k in labels))];
  return keys.filter((k) => granted[k] || revoked[k])
    .map((k) => ({ label: labels[k] || k, granted: granted[k] || 0, revoked: revoked[k] || 0 }));
}

function chooseTenant(tenants, current) {
  const select = document.getElementById("tenant");
  const known = Array.from(select.options).map((o) => o.value);
  if (known.join() !== tenants.join()) {
    select.replaceChildren(...tenants.map((t) => new Option(t, t)));
  }
  if (current) select.value = current;
}

async function getJson(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

async function refresh() {
  const params = new URLSearchParams(window.location.search);
  const query = new URLSearchParams();
  for (const key of ["tenant", "as_of"]) if (params.get(key)) query.set(key, params.get(key));
  const [services, community] = await Promise.allSettled([getJson("/api/services"), getJson(`/api/community?${query}`)]);
  if (services.status === "fulfilled") renderServices(services.value);
  if (community.status === "fulfilled") {
    chooseTenant(community.value.tenants, community.value.tenant);
    renderCommunity(community.value);
  }
  const failed = [services, community].filter((r) => r.status === "rejected").map((r) => r.reason.message);
  document.getElementById("updated").textContent = failed.length
    ? `更新失敗 / update failed: ${failed.join("; ")}`
    : `更新 / updated ${new Date().toLocaleTimeString()}`;
  document.body.setAttribute("data-loaded", "true");
}

document.getElementById("tenant").addEventListener("change", (event) => {
  const params = new URLSearchParams(window.location.search);
  params.set("tenant", event.target.value);
  window.location.search = params.toString();
});
refresh();
setInterval(refresh, REFRESH_MS);
