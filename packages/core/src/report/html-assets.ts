/**
 * The HTML report's inline style and browser script, as string constants so every bundler
 * (the GitHub Action's esbuild bundle too) carries them without reading files at run time.
 *
 * The script is plain ES2017 for any current browser. It reads the JSON data block, draws the
 * layered trust map as SVG and fills the details panel, always through textContent and
 * setAttribute: data never becomes markup. Keep it free of backticks and "${" (template literal).
 */

export const MAP_STYLE = `
:root{--bg:#f7f8fa;--fg:#1f2430;--muted:#5b6475;--panel:#fff;--line:#d9dde5;--node:#fff;--node-line:#aeb5c2;--accent:#2557d6;
--critical:#b42318;--high:#d9480f;--medium:#b08800;--low:#2f6fd6;--info:#6b7280;--none:#9aa3b2;--prod:#7b2cbf;--hl:#fff4c2;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#14171d;--fg:#e6e9ef;--muted:#a0a8b8;--panel:#1c2028;--line:#323846;--node:#222733;--node-line:#4b5365;--accent:#7aa2ff;
--critical:#f0645a;--high:#ff8c4a;--medium:#e3b341;--low:#6ea8ff;--info:#9aa3b2;--none:#5e6677;--prod:#c08cff;--hl:#4a3f10}}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;background:var(--bg);color:var(--fg)}
main{padding:0 24px 40px}
h1{font-size:22px;margin:0}h2{font-size:18px;margin:28px 0 8px}h3{font-size:15px;margin:0 0 6px}
code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;word-break:break-all}
a{color:var(--accent)}
.skip{position:absolute;left:-9999px}.skip:focus{left:8px;top:8px;background:var(--panel);padding:6px;z-index:2}
.top{padding:18px 24px 12px;background:var(--panel);border-bottom:1px solid var(--line)}
.top .org{color:var(--accent)}
.meta{color:var(--muted);font-size:13px;margin:4px 0}
.coverage{margin:16px 24px 0;padding:10px 14px;border-radius:6px}
.coverage.ok{background:var(--panel);border:1px solid var(--line);border-left:5px solid #2e8540}
.coverage.incomplete{background:#fdecea;color:#5a0e08;border:2px solid var(--critical);border-left:10px solid var(--critical)}
.coverage.incomplete h2{margin:0 0 6px;color:var(--critical);font-size:18px}
.coverage.incomplete code{color:inherit}
.cards{display:flex;flex-wrap:wrap;gap:10px;list-style:none;margin:0;padding:0}
.card{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:8px 14px;min-width:120px;display:flex;align-items:center;gap:8px}
.card .count{font-size:22px;font-weight:700}
.sev{display:inline-block;font-size:11px;font-weight:700;text-transform:uppercase;letter-spacing:.03em;padding:1px 6px;border-radius:3px;color:#fff;background:var(--none)}
.sev-critical{background:var(--critical)}.sev-high{background:var(--high)}.sev-medium{background:var(--medium)}.sev-low{background:var(--low)}.sev-info{background:var(--info)}
.prod-badge{display:inline-block;font-size:11px;font-weight:700;padding:1px 5px;border-radius:3px;color:#fff;background:var(--prod)}
.toolbar{display:flex;flex-wrap:wrap;align-items:center;gap:8px;margin:8px 0}
.toolbar input{font:inherit;padding:5px 8px;min-width:260px;border:1px solid var(--node-line);border-radius:5px;background:var(--panel);color:var(--fg)}
button{font:inherit;font-size:13px;padding:4px 10px;border:1px solid var(--node-line);border-radius:5px;background:var(--panel);color:var(--fg);cursor:pointer}
button:hover{border-color:var(--accent)}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.legend{display:flex;flex-wrap:wrap;gap:12px;align-items:center;font-size:12px;color:var(--muted);margin:4px 0 8px}
.legend-item{display:inline-flex;align-items:center;gap:5px}
.swatch{display:inline-block;width:22px;height:4px;border-radius:2px;background:var(--none)}
.swatch.edge-critical{background:var(--critical)}.swatch.edge-high{background:var(--high)}.swatch.edge-medium{background:var(--medium)}.swatch.edge-low{background:var(--low)}.swatch.edge-info{background:var(--info)}
.map-layout{display:flex;gap:14px;align-items:flex-start}
.map-scroll{flex:1 1 auto;overflow:auto;max-height:80vh;background:var(--panel);border:1px solid var(--line);border-radius:6px}
.details{flex:0 0 320px;max-height:80vh;overflow:auto;background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:12px 14px;position:sticky;top:8px}
.details ul{margin:4px 0 10px;padding-left:18px}.details li{margin:2px 0}
.details h4{margin:12px 0 2px;font-size:13px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.details .title{font-weight:700;font-size:15px;word-break:break-all;margin:2px 0 6px}
.details .badges{display:flex;gap:6px;margin-bottom:6px}
.details .prod-reason{border-left:4px solid var(--prod);padding:2px 8px;margin:6px 0}
button.link{border:0;background:none;padding:0;color:var(--accent);text-align:left;text-decoration:underline;cursor:pointer;word-break:break-all}
@media (max-width:1100px){.map-layout{flex-direction:column}.details{flex-basis:auto;width:100%;position:static}}
svg#map{display:block;width:100%;height:auto;min-width:820px;font:12px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
.col-title{font-weight:700;font-size:13px;fill:var(--fg)}.col-count{fill:var(--muted);font-size:12px}
.node{cursor:pointer}
.node .box{fill:var(--node);stroke:var(--node-line);stroke-width:1}
.node text{fill:var(--fg)}
.node .pill-text{fill:#fff;font-size:10px;font-weight:700}
.pill.p-critical{fill:var(--critical)}.pill.p-high{fill:var(--high)}.pill.p-medium{fill:var(--medium)}.pill.p-low{fill:var(--low)}.pill.p-info{fill:var(--info)}.pill.p-prod{fill:var(--prod)}
.node.prod .box{stroke:var(--prod);stroke-width:2}
.node .stripe{fill:var(--prod)}
.node.cluster .box{fill:var(--bg);stroke-dasharray:4 3}
.node.cluster text.label{font-weight:700}
.node:hover .box{stroke:var(--accent)}
.node:focus{outline:none}.node:focus-visible .box,.node:focus .box{stroke:var(--accent);stroke-width:3}
.node.match .box{fill:var(--hl)}
.node.selected .box{stroke:var(--accent);stroke-width:3;fill:var(--hl)}
.node.in-radius .box{stroke:var(--accent);stroke-width:2}
.node.dim{opacity:.28}
.more text{fill:var(--muted);font-style:italic}.more.clickable{cursor:pointer}.more.clickable text{fill:var(--accent);text-decoration:underline}
.edge{fill:none;stroke:var(--none);stroke-width:1.4;opacity:.75}
.edge.edge-critical{stroke:var(--critical)}.edge.edge-high{stroke:var(--high)}.edge.edge-medium{stroke:var(--medium)}.edge.edge-low{stroke:var(--low)}.edge.edge-info{stroke:var(--info)}
.edge.prod{stroke-width:3.2}
.edge.in-radius{opacity:1;stroke-width:3}.edge.prod.in-radius{stroke-width:4.5}
.edge.dim{opacity:.08}
.table-scroll{overflow:auto;max-width:100%}
table{border-collapse:collapse;width:100%;background:var(--panel);font-size:13px}
th,td{border:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
th{background:var(--bg);position:sticky;top:0}
tr.suppressed{opacity:.6}
table.findings td:nth-child(2){min-width:230px}table.findings td:nth-child(2) code{word-break:normal;white-space:nowrap}
table.findings td:nth-child(3){min-width:380px}table.findings td:nth-child(4){min-width:260px;word-break:break-word}
td details{margin-top:4px}td details ul{margin:4px 0;padding-left:18px}td details p{margin:4px 0}
.mark{display:inline-block;font-size:11px;font-weight:700;text-transform:uppercase;padding:1px 5px;border-radius:3px;border:1px solid var(--node-line)}
.mark-new{background:var(--hl)}
details summary{cursor:pointer;color:var(--accent)}
.note{background:var(--hl);padding:6px 10px;border-radius:4px}
`;

export const MAP_SCRIPT = String.raw`
(function () {
  "use strict";
  var SVGNS = "http://www.w3.org/2000/svg";
  var SEVERITIES = ["critical", "high", "medium", "low", "info"];
  var SHORT = { critical: "CRIT", high: "HIGH", medium: "MED", low: "LOW", info: "INFO" };
  var KIND_TITLE = { pipeline: "Pipeline", workload: "Workload", credential: "Federated credential", identity: "Identity", scope: "Azure scope" };
  var COLUMNS = ["pipeline", "credential", "identity", "scope"];
  var COLUMN_TITLES = ["Pipelines", "Federated credentials", "Identities", "Azure scopes"];
  // Other issuers' workloads (GitHub repositories, clusters' namespaces) share the first column with pipelines.
  function col(kind) { return kind === "workload" ? 0 : COLUMNS.indexOf(kind); }
  var COL_W = 228, GAP = 74, NODE_H = 26, ROW = 32, TOP = 46, PAD = 14, CHAR_W = 6.6;
  var PAGE = 100, COLUMN_CAP = 150, LIST_CAP = 60, REVEAL = 12;

  var dataEl = document.getElementById("trustscope-data");
  var svg = document.getElementById("map");
  var details = document.getElementById("details");
  if (!dataEl || !svg || !details) return;
  var data = JSON.parse(dataEl.textContent || "{}");
  var map = data.map;

  var nodes = new Map(), outE = new Map(), inE = new Map(), text = new Map();
  map.nodes.forEach(function (n) {
    nodes.set(n.id, n); outE.set(n.id, []); inE.set(n.id, []);
    text.set(n.id, [n.label, n.group || "", n.production || ""].concat(n.detail || []).join("\n").toLowerCase());
  });
  map.edges.forEach(function (e) {
    if (nodes.has(e.from) && nodes.has(e.to)) { outE.get(e.from).push(e); inE.get(e.to).push(e); }
  });
  var findingsByNode = new Map();
  (data.findings || []).forEach(function (f) {
    f.nodes.forEach(function (id) { if (!findingsByNode.has(id)) findingsByNode.set(id, []); findingsByNode.get(id).push(f); });
  });

  var PLURAL = { pipeline: "pipelines", workload: "workloads", credential: "credentials", identity: "identities", scope: "scopes" };
  function count(n, kind) { return n + " " + (n === 1 ? kind : PLURAL[kind]); }
  function rank(s) { var i = SEVERITIES.indexOf(s); return i < 0 ? 9 : i; }
  function worse(a, b) { return rank(a) <= rank(b) ? a : b; }
  function byLabel(a, b) { var x = nodes.get(a).label, y = nodes.get(b).label; return x < y ? -1 : x > y ? 1 : 0; }

  // Pipelines collapse by cluster, workloads by platform; "(no cluster)" sorts last, workloads after pipelines.
  var groups = new Map();
  map.nodes.forEach(function (n) {
    if (n.kind !== "pipeline" && n.kind !== "workload") return;
    var g = n.group || (n.kind === "pipeline" ? "(no cluster)" : "(other)");
    if (!groups.has(g)) groups.set(g, { name: g, kind: n.kind, ids: [], severity: undefined, production: 0 });
    var grp = groups.get(g);
    grp.ids.push(n.id);
    if (n.severity) grp.severity = worse(grp.severity || "none", n.severity);
    if (n.production) grp.production++;
  });
  var groupList = Array.from(groups.values()).sort(function (a, b) {
    if (a.kind !== b.kind) return a.kind === "pipeline" ? -1 : 1;
    if (a.name === "(no cluster)") return 1;
    if (b.name === "(no cluster)") return -1;
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
  groupList.forEach(function (g) { g.ids.sort(byLabel); });
  var pipelineCount = map.nodes.filter(function (n) { return n.kind === "pipeline"; }).length;
  var workloadCount = map.nodes.filter(function (n) { return n.kind === "workload"; }).length;
  if (workloadCount) COLUMN_TITLES[0] = "Pipelines and workloads";
  var state = { collapsed: new Map(), pages: new Map(), query: "", selected: null };
  groupList.forEach(function (g) { state.collapsed.set(g.name, pipelineCount > data.collapseAbove); });

  // Every node and edge on a path through the seeds: downstream (what they can touch) and upstream (who can reach them).
  function reach(seeds) {
    var edges = new Set();
    function walk(adj, end) {
      var seen = new Set(seeds), queue = seeds.slice();
      while (queue.length) {
        adj.get(queue.pop()).forEach(function (e) {
          edges.add(e);
          if (!seen.has(e[end])) { seen.add(e[end]); queue.push(e[end]); }
        });
      }
      return seen;
    }
    // Each direction walks from the seeds only, so an identity's radius does not spill into its siblings.
    var all = walk(outE, "to");
    walk(inE, "from").forEach(function (id) { all.add(id); });
    return { nodes: all, edges: edges };
  }

  function el(name, attrs, textContent) {
    var e = document.createElementNS(SVGNS, name);
    for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, String(attrs[k]));
    if (textContent !== undefined) e.textContent = textContent;
    return e;
  }
  function h(name, attrs, textContent) {
    var e = document.createElement(name);
    for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, String(attrs[k]));
    if (textContent !== undefined) e.textContent = textContent;
    return e;
  }
  function fit(label, chars, middle) {
    if (label.length <= chars) return label;
    if (!middle) return label.slice(0, chars - 1) + "\u2026";
    var head = Math.ceil((chars - 1) / 3);
    return label.slice(0, head) + "\u2026" + label.slice(label.length - (chars - 1 - head));
  }

  function computeView() {
    var sel = state.selected && nodes.has(state.selected) ? reach([state.selected]) : null;
    var q = state.query.trim().toLowerCase();
    var matches = null, closure = null;
    if (q) {
      matches = new Set();
      map.nodes.forEach(function (n) { if (text.get(n.id).indexOf(q) >= 0) matches.add(n.id); });
      closure = reach(Array.from(matches)).nodes;
    }
    var inSel = function (id) { return sel !== null && sel.nodes.has(id); };
    var shown = new Set();
    var columns = [[], [], [], []];

    groupList.forEach(function (g) {
      var candidates = closure ? g.ids.filter(function (id) { return closure.has(id); }) : g.ids;
      var forced = g.ids.filter(inSel);
      if (closure && candidates.length === 0 && forced.length === 0) return;
      var collapsed = state.collapsed.get(g.name) && !closure;
      // A collapsed cluster shows the few pipelines in the selection's radius; when many are, the cluster itself lights up.
      var list = collapsed ? (forced.length > REVEAL ? [] : forced) : candidates.concat(forced.filter(function (id) { return candidates.indexOf(id) < 0; }));
      columns[0].push({ type: "cluster", group: g, collapsed: collapsed, visible: list.length, radius: forced.length });
      var limit = state.pages.get(g.name) || PAGE;
      list.slice(0, limit).forEach(function (id) { columns[0].push({ type: "node", id: id }); shown.add(id); });
      if (list.length > limit) columns[0].push({ type: "more", group: g, remaining: list.length - limit });
    });

    // In a large map a selection focuses: the later columns show only its radius (and search hits).
    var focus = sel !== null && pipelineCount > data.collapseAbove;
    var truncated = [0, 0, 0, 0];
    for (var c = 1; c < 4; c++) {
      var kind = COLUMNS[c];
      var ids = map.nodes.filter(function (n) { return n.kind === kind && (inSel(n.id) || (closure ? closure.has(n.id) : !focus)); }).map(function (n) { return n.id; });
      // Over the cap, what links to the column before wins, so the paths that are shown stay whole.
      var linked = function (id) { return c === 1 || inE.get(id).some(function (e) { return shown.has(e.from); }); };
      ids.sort(function (a, b) {
        var na = nodes.get(a), nb = nodes.get(b);
        return (inSel(b) - inSel(a)) || ((matches && matches.has(b)) - (matches && matches.has(a))) || (linked(b) - linked(a)) ||
          (rank(na.severity) - rank(nb.severity)) || (!!nb.production - !!na.production) || byLabel(a, b);
      });
      var keep = ids.filter(function (id, i) { return i < COLUMN_CAP || inSel(id); });
      truncated[c] = ids.length - keep.length;
      keep.forEach(function (id) { columns[c].push({ type: "node", id: id }); shown.add(id); });
    }
    return { sel: sel, matches: matches, columns: columns, shown: shown, truncated: truncated };
  }

  function layout(view) {
    var y = new Map(), clusterOf = new Map();
    var bottom = [TOP, TOP, TOP, TOP];
    view.columns[0].forEach(function (row, i) {
      row.y = TOP + i * ROW;
      if (row.type === "node") y.set(row.id, row.y);
      if (row.type === "cluster") row.group.ids.forEach(function (id) { clusterOf.set(id, row); });
      bottom[0] = row.y + ROW;
    });
    // Where an edge from a pipeline starts: its own row, or its collapsed cluster's.
    function sourceY(id) {
      if (y.has(id)) return y.get(id);
      var row = clusterOf.get(id);
      return row && row.collapsed ? row.y : undefined;
    }
    // Each later column sits near the mean height of what links into it (barycentre), keeping one row apart.
    for (var c = 1; c < 4; c++) {
      var rows = view.columns[c];
      rows.forEach(function (row) {
        var ys = [];
        inE.get(row.id).forEach(function (e) { var v = c === 1 ? sourceY(e.from) : y.get(e.from); if (v !== undefined) ys.push(v); });
        row.want = ys.length ? ys.reduce(function (a, b) { return a + b; }, 0) / ys.length : Infinity;
      });
      rows.sort(function (a, b) { return (a.want - b.want) || byLabel(a.id, b.id); });
      var next = TOP;
      rows.forEach(function (row) {
        row.y = Math.max(next, row.want === Infinity ? next : Math.round(row.want));
        next = row.y + ROW;
        y.set(row.id, row.y);
      });
      bottom[c] = next;
      if (view.truncated[c] > 0) { rows.push({ type: "more", remaining: view.truncated[c], y: next }); bottom[c] = next + ROW; }
    }
    return { y: y, sourceY: sourceY, height: Math.max.apply(null, bottom) + PAD };
  }

  function colX(c) { return PAD + c * (COL_W + GAP); }

  function pill(g, x, cls, label) {
    var w = label.length * 6.4 + 8;
    g.appendChild(el("rect", { class: "pill " + cls, x: x - w, y: 6, width: w, height: 14, rx: 3 }));
    g.appendChild(el("text", { class: "pill-text", x: x - w / 2, y: 16.5, "text-anchor": "middle" }, label));
    return x - w - 4;
  }

  function drawNode(parent, n, x, y, view) {
    var cls = "node kind-" + n.kind + (n.production ? " prod" : "");
    if (view.sel) cls += n.id === state.selected ? " selected" : view.sel.nodes.has(n.id) ? " in-radius" : " dim";
    if (view.matches && view.matches.has(n.id)) cls += " match";
    var label = KIND_TITLE[n.kind] + " " + n.label + (n.severity ? ", highest severity " + n.severity : "") + (n.production ? ", production: " + n.production : "");
    var g = el("g", { class: cls, transform: "translate(" + x + "," + y + ")", tabindex: 0, role: "button", "aria-label": label,
      "aria-pressed": n.id === state.selected ? "true" : "false", "data-id": n.id, "data-kind": n.kind, "data-label": n.label });
    g.appendChild(el("title", {}, n.label + (n.production ? "\nProduction: " + n.production : "") + (n.severity ? "\nHighest severity: " + n.severity : "")));
    g.appendChild(el("rect", { class: "box", width: COL_W, height: NODE_H, rx: 5 }));
    if (n.production) g.appendChild(el("rect", { class: "stripe", width: 5, height: NODE_H, rx: 2 }));
    var right = COL_W - 5;
    if (n.severity) right = pill(g, right, "p-" + n.severity, SHORT[n.severity]);
    if (n.production) right = pill(g, right, "p-prod", "PROD");
    g.appendChild(el("text", { class: "label", x: 11, y: 17 }, fit(n.label, Math.floor((right - 12) / CHAR_W), n.kind === "scope" || n.kind === "credential")));
    parent.appendChild(g);
  }

  function drawCluster(parent, row, x, view) {
    var g = row.group;
    var arrow = row.collapsed ? "\u25B8 " : "\u25BE ";
    var shown = row.visible > 0 && row.visible < g.ids.length ? row.visible + " of " : "";
    var radius = view.sel && row.radius ? "; " + count(row.radius, g.kind) + " of it in the selection's radius" : "";
    var what = g.kind === "pipeline" ? "Cluster " : "";
    var node = el("g", { class: "node cluster" + (row.collapsed ? " collapsed" : "") + (g.production ? " prod" : "") + (view.sel ? (row.radius ? " in-radius" : " dim") : ""),
      transform: "translate(" + x + "," + row.y + ")", tabindex: 0, role: "button", "aria-expanded": row.collapsed ? "false" : "true", "data-cluster": g.name, "data-kind": "cluster",
      "aria-label": what + g.name + ", " + count(g.ids.length, g.kind) + (g.production ? ", " + g.production + " production" : "") + (row.collapsed ? ", collapsed" : ", expanded") + radius });
    node.appendChild(el("title", {}, (row.collapsed ? "Expand " : "Collapse ") + what.toLowerCase() + g.name + radius));
    node.appendChild(el("rect", { class: "box", width: COL_W, height: NODE_H, rx: 5 }));
    var right = COL_W - 5;
    if (g.severity && g.severity !== "none") right = pill(node, right, "p-" + g.severity, SHORT[g.severity]);
    if (g.production) right = pill(node, right, "p-prod", "PROD");
    // The long form when it fits; otherwise the name keeps the room and the count goes in brackets.
    var chars = Math.floor((right - 10) / CHAR_W), long = arrow + g.name + " \u00B7 " + shown + count(g.ids.length, g.kind);
    node.appendChild(el("text", { class: "label", x: 8, y: 17 }, long.length <= chars ? long : arrow + fit(g.name, chars - 6 - shown.length - String(g.ids.length).length, false) + " (" + shown + g.ids.length + ")"));
    parent.appendChild(node);
  }

  function drawMore(parent, row, x) {
    var clickable = row.group !== undefined;
    var g = el("g", { class: "more" + (clickable ? " clickable" : ""), transform: "translate(" + x + "," + row.y + ")" });
    if (clickable) { g.setAttribute("tabindex", "0"); g.setAttribute("role", "button"); g.setAttribute("data-more", row.group.name); }
    g.appendChild(el("text", { x: 10, y: 17 }, "+ " + row.remaining.toLocaleString() + " more" + (clickable ? ": show " + Math.min(PAGE, row.remaining) + " more" : "; search to narrow")));
    parent.appendChild(g);
  }

  function edgeClass(sev, prod, view, inRadius) {
    return "edge edge-" + (sev || "none") + (prod ? " prod" : "") + (view.sel ? (inRadius ? " in-radius" : " dim") : "");
  }

  function render() {
    var view = computeView();
    var pos = layout(view);
    var width = colX(3) + COL_W + PAD;
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    // Scales down to the container, never up, and scrolls below a readable minimum (CSS).
    svg.setAttribute("viewBox", "0 0 " + width + " " + pos.height);
    svg.style.maxWidth = width + "px";
    var total = COLUMNS.map(function (k) { return map.nodes.filter(function (n) { return col(n.kind) === col(k); }).length; });
    COLUMN_TITLES.forEach(function (t, c) {
      svg.appendChild(el("text", { class: "col-title", x: colX(c), y: 18 }, t));
      svg.appendChild(el("text", { class: "col-count", x: colX(c), y: 34 }, total[c] + " in total"));
    });
    var edgeLayer = el("g", { class: "edges" }), nodeLayer = el("g", { class: "nodes" });
    svg.appendChild(edgeLayer); svg.appendChild(nodeLayer);

    // Edges between shown nodes; several pipelines of a collapsed cluster share one edge per credential.
    var merged = new Map();
    map.edges.forEach(function (e) {
      if (!view.shown.has(e.to)) return;
      var fromY = e.kind === "can-mint" ? pos.sourceY(e.from) : view.shown.has(e.from) ? pos.y.get(e.from) : undefined;
      if (fromY === undefined) return;
      var c = col(nodes.get(e.from).kind);
      var key = c + ":" + fromY + ">" + e.to;
      var m = merged.get(key);
      var inRadius = view.sel !== null && view.sel.edges.has(e);
      if (!m) merged.set(key, { c: c, fromY: fromY, to: e.to, severity: e.severity, production: e.production, inRadius: inRadius, edges: [e] });
      else { m.severity = m.severity ? worse(m.severity, e.severity) : e.severity; m.production = m.production || e.production; m.inRadius = m.inRadius || inRadius; m.edges.push(e); }
    });
    merged.forEach(function (m) {
      var x1 = colX(m.c) + COL_W, y1 = m.fromY + NODE_H / 2, x2 = colX(m.c + 1), y2 = pos.y.get(m.to) + NODE_H / 2, mx = (x1 + x2) / 2;
      var path = el("path", { class: edgeClass(m.severity, m.production, view, m.inRadius), d: "M" + x1 + " " + y1 + " C" + mx + " " + y1 + " " + mx + " " + y2 + " " + x2 + " " + y2 });
      var first = m.edges[0];
      path.appendChild(el("title", {}, first.kind + (first.label ? " (" + first.label + ")" : "") + (m.edges.length > 1 ? " \u00D7" + m.edges.length : "") +
        " \u2192 " + nodes.get(m.to).label + (m.severity ? "; " + m.severity : "") + (m.production ? "; production: " + m.production : "")));
      edgeLayer.appendChild(path);
    });

    view.columns.forEach(function (rows, c) {
      rows.forEach(function (row) {
        if (row.type === "cluster") drawCluster(nodeLayer, row, colX(0), view);
        else if (row.type === "more") drawMore(nodeLayer, row, colX(c));
        else drawNode(nodeLayer, nodes.get(row.id), colX(c), row.y, view);
      });
    });

    var shownPipelines = view.columns[0].filter(function (r) { return r.type === "node"; }).length;
    var status = document.getElementById("map-status");
    if (status) {
      status.textContent = (view.matches ? view.matches.size + " match" + (view.matches.size === 1 ? "" : "es") + "; " : "") +
        shownPipelines + " of " + total[0] + (workloadCount ? " pipelines and workloads shown" : " pipelines shown") + (view.sel ? "; selected: " + nodes.get(state.selected).label : "");
    }
    renderDetails(view);
  }

  function linkTo(id) {
    var b = h("button", { type: "button", class: "link", "data-target": id }, nodes.get(id).label);
    return b;
  }
  function listSection(title, ids, extra) {
    var frag = document.createDocumentFragment();
    frag.appendChild(h("h4", {}, title + " (" + ids.length + ")"));
    if (!ids.length) { frag.appendChild(h("p", { class: "meta" }, "none")); return frag; }
    var ul = h("ul");
    ids.slice(0, LIST_CAP).forEach(function (id) {
      var li = h("li");
      li.appendChild(linkTo(id));
      var n = nodes.get(id);
      if (extra) extra(li, id);
      if (n.production) { li.appendChild(document.createTextNode(" ")); li.appendChild(h("span", { class: "prod-badge", title: n.production }, "PROD")); }
      ul.appendChild(li);
    });
    if (ids.length > LIST_CAP) ul.appendChild(h("li", { class: "meta" }, "and " + (ids.length - LIST_CAP) + " more"));
    frag.appendChild(ul);
    return frag;
  }

  function renderDetails(view) {
    while (details.firstChild) details.removeChild(details.firstChild);
    if (!view.sel) {
      details.appendChild(h("h3", {}, "Details"));
      details.appendChild(h("p", { class: "meta" }, "Select a pipeline, credential, identity or scope to see its blast radius: what it can reach, and who can reach it."));
      return;
    }
    var n = nodes.get(state.selected);
    details.appendChild(h("h3", {}, KIND_TITLE[n.kind]));
    details.appendChild(h("p", { class: "title", id: "details-title" }, n.label));
    var badges = h("div", { class: "badges" });
    badges.appendChild(h("span", { class: "sev sev-" + (n.severity || "none") }, n.severity ? n.severity : "no finding"));
    if (n.production) badges.appendChild(h("span", { class: "prod-badge" }, "PROD"));
    details.appendChild(badges);
    if (n.production) details.appendChild(h("p", { class: "prod-reason" }, "Production: " + n.production));
    if (n.group) details.appendChild(h("p", { class: "meta" }, (n.kind === "pipeline" ? "Cluster: " : n.kind === "workload" ? "Platform: " : "Group: ") + n.group));
    if (n.detail && n.detail.length) {
      var ul = h("ul", { class: "meta" });
      n.detail.forEach(function (line) { ul.appendChild(h("li", {}, line)); });
      details.appendChild(ul);
    }
    var inRadius = function (kind) {
      return Array.from(view.sel.nodes).filter(function (id) { return id !== n.id && nodes.get(id).kind === kind; }).sort(byLabel);
    };
    var order = col(n.kind);
    var scopes = inRadius("scope"), prodScopes = scopes.filter(function (id) { return nodes.get(id).production; });
    var sum = h("p", { id: "details-summary" });
    sum.appendChild(h("strong", {}, "Blast radius: "));
    sum.appendChild(document.createTextNode(
      COLUMNS.concat(inRadius("workload").length ? ["workload"] : []).filter(function (k) { return k !== n.kind; }).map(function (k) { return count(inRadius(k).length, k); }).join(", ") +
      (prodScopes.length ? "; " + prodScopes.length + " production scope" + (prodScopes.length === 1 ? "" : "s") : "; no production scope")));
    details.appendChild(sum);

    if (order >= 1) details.appendChild(listSection("Pipelines that can reach it", inRadius("pipeline")));
    if (order >= 1 && workloadCount) details.appendChild(listSection("Other workloads that can reach it (GitHub, GitLab, Terraform Cloud, Azure DevOps, Kubernetes)", inRadius("workload")));
    if (order !== 1) details.appendChild(listSection(order === 0 ? "Federated credentials it can use" : "Federated credentials", inRadius("credential")));
    if (order !== 2) details.appendChild(listSection(order < 2 ? "Identities it can log in as" : "Identities with access", inRadius("identity")));
    if (order < 3) {
      // Roles come from the grants on the radius's paths: which identity holds what where.
      var grants = new Map();
      view.sel.edges.forEach(function (e) {
        if (e.kind !== "grants") return;
        if (!grants.has(e.to)) grants.set(e.to, []);
        grants.get(e.to).push((e.label || "role") + " via " + nodes.get(e.from).label);
      });
      details.appendChild(listSection("Azure scopes it can touch", scopes, function (li, id) {
        li.appendChild(document.createTextNode(": " + (grants.get(id) || []).join("; ")));
      }));
    }
    var fs = findingsByNode.get(n.id) || [];
    details.appendChild(h("h4", {}, "Findings naming it (" + fs.length + ")"));
    if (fs.length) {
      var fl = h("ul");
      fs.slice().sort(function (a, b) { return rank(a.severity) - rank(b.severity); }).forEach(function (f) {
        var li = h("li");
        li.appendChild(h("span", { class: "sev sev-" + f.severity }, f.severity));
        li.appendChild(document.createTextNode(" "));
        li.appendChild(h("code", {}, f.ruleId));
        li.appendChild(document.createTextNode(": " + f.message));
        fl.appendChild(li);
      });
      details.appendChild(fl);
    } else details.appendChild(h("p", { class: "meta" }, "none"));
  }

  // Compares attributes rather than building a selector: names may hold any character.
  function nodeElement(attr, value) {
    var all = svg.querySelectorAll("[" + attr + "]");
    for (var i = 0; i < all.length; i++) if (all[i].getAttribute(attr) === value) return all[i];
    return null;
  }
  function focusAfter(attr, value) {
    var target = nodeElement(attr, value);
    if (target) target.focus();
  }

  function select(id, keepFocus) {
    state.selected = id && nodes.has(id) ? id : null;
    render();
    if (keepFocus && state.selected) focusAfter("data-id", state.selected);
    else if (state.selected) {
      var target = nodeElement("data-id", state.selected);
      if (target && target.scrollIntoView) target.scrollIntoView({ block: "nearest", inline: "nearest" });
    }
  }
  function toggleCluster(name, keepFocus) {
    state.collapsed.set(name, !state.collapsed.get(name));
    render();
    if (keepFocus) focusAfter("data-cluster", name);
  }
  function activate(target, keepFocus) {
    var g = target.closest ? target.closest("[data-id],[data-cluster],[data-more]") : null;
    if (!g) return false;
    if (g.hasAttribute("data-cluster")) toggleCluster(g.getAttribute("data-cluster"), keepFocus);
    else if (g.hasAttribute("data-more")) {
      var name = g.getAttribute("data-more");
      state.pages.set(name, (state.pages.get(name) || PAGE) + PAGE);
      render();
    } else {
      var id = g.getAttribute("data-id");
      select(state.selected === id ? null : id, keepFocus);
    }
    return true;
  }
  svg.addEventListener("click", function (ev) { activate(ev.target, false); });
  svg.addEventListener("keydown", function (ev) {
    if ((ev.key === "Enter" || ev.key === " ") && activate(ev.target, true)) ev.preventDefault();
  });
  details.addEventListener("click", function (ev) {
    var b = ev.target.closest ? ev.target.closest("[data-target]") : null;
    if (b) select(b.getAttribute("data-target"), true);
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape" && state.selected) { select(null, false); }
  });

  var toolbar = document.getElementById("map-toolbar");
  if (toolbar) toolbar.hidden = false;
  var search = document.getElementById("map-search");
  var timer = null;
  if (search) search.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { state.query = search.value; render(); }, 120);
  });
  function setAll(collapsed) { groupList.forEach(function (g) { state.collapsed.set(g.name, collapsed); }); render(); }
  var expand = document.getElementById("map-expand"), collapse = document.getElementById("map-collapse"), clear = document.getElementById("map-clear");
  if (expand) expand.addEventListener("click", function () { setAll(false); });
  if (collapse) collapse.addEventListener("click", function () { setAll(true); });
  if (clear) clear.addEventListener("click", function () { select(null, false); });
  render();
  document.documentElement.setAttribute("data-map-ready", "true");
})();
`;
