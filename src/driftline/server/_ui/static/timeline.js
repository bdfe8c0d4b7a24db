/* driftline dashboard: the model-version timeline (zoom and pan), no dependencies.
 * Reads the columns embedded in <script type="application/json" id="timeline-data"> and
 * draws four aligned panels into #timeline: performance (estimated with its usual range,
 * realized with its interval), share of drifted features, predictions, label coverage.
 * Mouse: drag to pan, wheel to zoom, click a point to open its window.
 * Keyboard (focus the chart): arrows move the cursor, PageUp/PageDown pan, + and - zoom,
 * Home shows everything, Enter opens the window under the cursor. */
(function () {
  "use strict";
  var box = document.getElementById("timeline");
  var src = document.getElementById("timeline-data");
  if (!box || !src) { return; }
  var d = JSON.parse(src.textContent);
  var n = d.t.length;
  var readout = document.getElementById("timeline-readout");
  var rangeText = document.getElementById("timeline-range");
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  var DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  var W = 1100, L = 74, R = 16, PH = 110, GAP = 34, TOP = 8;
  var PW = W - L - R;
  var lab = d.labels || {};

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function has(arr) {
    for (var i = 0; i < arr.length; i++) { if (arr[i] !== null) { return true; } }
    return false;
  }
  function num(v) {
    if (v === null || v === undefined) { return "—"; }
    var a = Math.abs(v);
    if (a >= 1000 || Number.isInteger(v)) { return Math.round(v).toLocaleString("en-US"); }
    if (a < 1) { return v.toFixed(a < 0.01 ? 4 : 3).replace(/0+$/, "").replace(/\.$/, ""); }
    return String(Number(v.toPrecision(3)));
  }
  function pct(v) {
    if (v === null || v === undefined) { return "—"; }
    var p = v * 100;
    return (p !== 0 && Math.abs(p) < 10 ? p.toFixed(1) : p.toFixed(0)) + "%";
  }
  function day(t) {
    var x = new Date(t * 1000);
    return x.getUTCDate() + " " + MONTHS[x.getUTCMonth()] + " " + x.getUTCFullYear();
  }
  function stamp(t) {
    var x = new Date(t * 1000);
    var hh = String(x.getUTCHours()).padStart(2, "0"), mm = String(x.getUTCMinutes()).padStart(2, "0");
    return DAYS[x.getUTCDay()] + " " + day(t) + " " + hh + ":" + mm + " UTC";
  }

  var panels = [];
  if (has(d.est) || has(d.real)) {
    panels.push({ id: "perf", title: "Performance: " + [lab.est, lab.real].filter(Boolean).join(" and "), fmt: num });
  }
  panels.push({ id: "drift", title: "Share of features that drifted", fmt: pct, fixed: [0, 1] });
  panels.push({ id: "rows", title: "Predictions per window", fmt: num, zero: true });
  panels.push({ id: "cov", title: "Label coverage (share of predictions with a true outcome)", fmt: pct, fixed: [0, 1] });
  var H = TOP + panels.length * (PH + GAP) + 24;

  var tmin = n ? d.t[0] : 0, tmax = n ? d.t[n - 1] : 1;
  if (tmax <= tmin) { tmax = tmin + 3600; }
  var lo = tmin, hi = tmax, cursor = n - 1;

  function first(t) { // first index with d.t[i] >= t
    var a = 0, b = n;
    while (a < b) { var m = (a + b) >> 1; if (d.t[m] < t) { a = m + 1; } else { b = m; } }
    return a;
  }
  function nearest(t) {
    var i = first(t);
    if (i >= n) { return n - 1; }
    if (i > 0 && t - d.t[i - 1] < d.t[i] - t) { return i - 1; }
    return i;
  }
  function X(t) { return L + PW * (t - lo) / (hi - lo); }

  // Per-pixel buckets of a series over [i0, i1): min, max of the values (null: gap).
  function buckets(arr, i0, i1, arr2) {
    var out = [], count = i1 - i0, per = Math.max(1, Math.ceil(count / (PW / 1.5)));
    for (var s = i0; s < i1; s += per) {
      var mn = null, mx = null, e = Math.min(i1, s + per);
      for (var i = s; i < e; i++) {
        var v = arr[i], w = arr2 ? arr2[i] : v;
        if (v !== null && (mn === null || v < mn)) { mn = v; }
        if (w !== null && (mx === null || w > mx)) { mx = w; }
      }
      out.push({ t: d.t[Math.min(e - 1, s + (per >> 1))], lo: mn, hi: mx, i: s, e: e });
    }
    return out;
  }
  function extent(lists, fixed, zero) {
    var a = Infinity, b = -Infinity;
    lists.forEach(function (bs) {
      bs.forEach(function (p) {
        if (p.lo !== null && p.lo < a) { a = p.lo; }
        if (p.hi !== null && p.hi > b) { b = p.hi; }
      });
    });
    if (fixed) { a = Math.min(a, fixed[0]); b = Math.max(b, fixed[1]); }
    if (zero) { a = Math.min(a, 0); }
    if (!isFinite(a)) { a = 0; b = 1; }
    if (b <= a) { b = a + (Math.abs(a) || 1) * 0.1; a = a - (Math.abs(a) || 1) * 0.1; }
    var pad = fixed ? 0 : (b - a) * 0.08;
    return [a - (zero && a >= 0 ? 0 : pad), b + pad];
  }
  function niceTicks(a, b) {
    var span = b - a, raw = span / 4, mag = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = [1, 2, 2.5, 5, 10].map(function (k) { return k * mag; }).find(function (s) { return span / s <= 5; }) || 10 * mag;
    var out = [];
    for (var v = Math.ceil(a / step) * step; v <= b + step * 1e-9; v += step) { out.push(Number(v.toPrecision(12))); }
    return out;
  }
  function timeTicks() {
    var span = hi - lo, H1 = 3600, D = 86400;
    var steps = [H1, 3 * H1, 6 * H1, 12 * H1, D, 2 * D, 7 * D, 14 * D, -1, -3, -12];
    var step = steps.find(function (s) { return (s > 0 ? span / s : span / (-s * 30.4 * D)) <= 8; }) || -12;
    var out = [];
    if (step > 0) {
      for (var t = Math.ceil(lo / step) * step; t <= hi; t += step) {
        var x = new Date(t * 1000);
        var text = step < D ? x.getUTCDate() + " " + MONTHS[x.getUTCMonth()] + " " + String(x.getUTCHours()).padStart(2, "0") + ":00"
          : x.getUTCDate() + " " + MONTHS[x.getUTCMonth()];
        out.push([t, text]);
      }
    } else {
      var m = -step, s = new Date(lo * 1000), y = s.getUTCFullYear(), mo = s.getUTCMonth() + 1;
      mo = Math.ceil(mo / m) * m;
      for (;;) {
        var tt = Date.UTC(y + Math.floor(mo / 12), mo % 12, 1) / 1000;
        if (tt > hi) { break; }
        var z = new Date(tt * 1000);
        out.push([tt, m === 12 ? String(z.getUTCFullYear()) : MONTHS[z.getUTCMonth()] + " " + z.getUTCFullYear()]);
        mo += m;
      }
    }
    return out;
  }
  function path(bs, y, which) {
    var parts = [], pen = false;
    bs.forEach(function (p) {
      var a = which === "hi" ? p.hi : p.lo, b = which === "lo" ? p.lo : p.hi;
      if (a === null || b === null) { pen = false; return; }
      var x = X(p.t).toFixed(1);
      parts.push((pen ? "L" : "M") + x + "," + y(a).toFixed(1));
      if (b !== a) { parts.push("L" + x + "," + y(b).toFixed(1)); }
      pen = true;
    });
    return parts.join("");
  }
  function band(low, high, y) {
    var out = [], seg = [];
    function flush() {
      if (seg.length > 1) {
        var up = seg.map(function (k) { return X(high[k].t).toFixed(1) + "," + y(high[k].hi).toFixed(1); });
        var dn = seg.slice().reverse().map(function (k) { return X(low[k].t).toFixed(1) + "," + y(low[k].lo).toFixed(1); });
        out.push('<polygon points="' + up.concat(dn).join(" ") + '" fill="#1e40af" fill-opacity="0.16"/>');
      }
      seg = [];
    }
    for (var k = 0; k < low.length; k++) {
      if (low[k].lo === null || high[k].hi === null) { flush(); } else { seg.push(k); }
    }
    flush();
    return out.join("");
  }

  function draw() {
    var i0 = Math.max(0, first(lo) - 1), i1 = Math.min(n, first(hi) + 2);
    var svg = ['<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ' + W + " " + H + '" role="img" aria-label="' +
      esc("Timeline from " + day(lo) + " to " + day(hi)) + '" font-family="system-ui, sans-serif" font-size="12">'];
    var ticks = timeTicks();
    panels.forEach(function (p, k) {
      var top = TOP + k * (PH + GAP) + 18, bottom = top + PH;
      var series = {}, lists = [];
      if (p.id === "perf") {
        series.band = [buckets(d.band_lo, i0, i1), buckets(d.band_hi, i0, i1)];
        series.est = buckets(d.est, i0, i1);
        series.real = buckets(d.real, i0, i1);
        series.rint = buckets(d.real_lo, i0, i1, d.real_hi);
        series.out = buckets(d.out, i0, i1);
        lists = [series.band[0], series.band[1], series.est, series.real];
      } else {
        series.main = buckets(d[p.id], i0, i1);
        lists = [series.main];
      }
      var ext = extent(lists, p.fixed, p.zero);
      var y = function (v) { return bottom - (v - ext[0]) / (ext[1] - ext[0]) * PH; };
      svg.push('<text x="' + L + '" y="' + (top - 6) + '" font-weight="600" font-size="13" fill="#111827">' + esc(p.title) + "</text>");
      niceTicks(ext[0], ext[1]).forEach(function (v) {
        if (v < ext[0] || v > ext[1]) { return; }
        svg.push('<line x1="' + L + '" x2="' + (W - R) + '" y1="' + y(v).toFixed(1) + '" y2="' + y(v).toFixed(1) + '" stroke="#e5e7eb"/>' +
          '<text x="' + (L - 6) + '" y="' + (y(v) + 4).toFixed(1) + '" text-anchor="end" fill="#374151">' + esc(p.fmt(v)) + "</text>");
      });
      ticks.forEach(function (tk) {
        var x = X(tk[0]).toFixed(1);
        svg.push('<line x1="' + x + '" x2="' + x + '" y1="' + top + '" y2="' + bottom + '" stroke="#f3f4f6"/>');
        svg.push('<text x="' + x + '" y="' + (bottom + 14) + '" text-anchor="middle" fill="#374151">' + esc(tk[1]) + "</text>");
      });
      svg.push('<rect x="' + L + '" y="' + top + '" width="' + PW + '" height="' + PH + '" fill="none" stroke="#9ca3af"/>');
      if (p.id === "perf") {
        svg.push(band(series.band[0], series.band[1], y));
        svg.push('<path d="' + path(series.est, y) + '" fill="none" stroke="#1d4ed8" stroke-width="1.6"/>');
        series.rint.forEach(function (q) {
          if (q.lo === null || q.hi === null) { return; }
          var x = X(q.t).toFixed(1);
          svg.push('<line x1="' + x + '" x2="' + x + '" y1="' + y(q.lo).toFixed(1) + '" y2="' + y(q.hi).toFixed(1) + '" stroke="#9a3412" stroke-opacity="0.6"/>');
        });
        series.real.forEach(function (q) {
          if (q.lo === null) { return; }
          svg.push('<circle cx="' + X(q.t).toFixed(1) + '" cy="' + y((q.lo + q.hi) / 2).toFixed(1) + '" r="2.6" fill="#9a3412"/>');
        });
        series.out.forEach(function (q, j) {
          if (!q.hi) { return; }
          var e = series.est[j], x = X(q.t), yy = bottom - 2;
          if (e && e.lo !== null) { yy = Math.min(bottom - 2, y(e.lo) + 10); }
          svg.push('<path d="M' + (x - 4).toFixed(1) + "," + (yy - 6).toFixed(1) + "L" + (x + 4).toFixed(1) + "," + (yy - 6).toFixed(1) +
            "L" + x.toFixed(1) + "," + yy.toFixed(1) + 'Z" fill="#b91c1c"/>');
        });
      } else {
        svg.push('<path d="' + path(series.main, y) + '" fill="none" stroke="' + (p.id === "drift" ? "#b45309" : p.id === "rows" ? "#374151" : "#047857") + '" stroke-width="1.5"/>');
      }
    });
    if (cursor >= 0 && cursor < n && d.t[cursor] >= lo && d.t[cursor] <= hi) {
      var cx = X(d.t[cursor]).toFixed(1);
      svg.push('<line x1="' + cx + '" x2="' + cx + '" y1="' + TOP + '" y2="' + (H - 20) + '" stroke="#111827" stroke-dasharray="3 3"/>');
    }
    svg.push("</svg>");
    box.innerHTML = svg.join("");
    var shown = Math.max(0, first(hi + 1) - first(lo));
    if (rangeText) { rangeText.textContent = "Showing " + day(lo) + " to " + day(hi) + " (" + shown.toLocaleString("en-US") + " of " + n.toLocaleString("en-US") + " windows)"; }
  }

  function describe(i) {
    if (i < 0 || i >= n || !readout) { return; }
    var parts = [stamp(d.t[i])];
    if (d.est[i] !== null) {
      var s = (lab.est || "estimated") + " " + num(d.est[i]);
      if (d.band_lo[i] !== null) { s += " (usual range " + num(d.band_lo[i]) + " to " + num(d.band_hi[i]) + (d.out[i] ? ", outside it" : "") + ")"; }
      parts.push(s);
    }
    if (d.real[i] !== null) { parts.push((lab.real || "realized") + " " + num(d.real[i]) + " (95% interval " + num(d.real_lo[i]) + " to " + num(d.real_hi[i]) + ")"); }
    parts.push("drifted features " + pct(d.drift[i]));
    parts.push(num(d.rows[i]) + " predictions");
    parts.push("label coverage " + pct(d.cov[i]));
    readout.textContent = parts.join(" · ");
  }
  function setRange(a, b) {
    var span = Math.max(b - a, Math.min(6 * 3600, tmax - tmin));
    if (span >= tmax - tmin) { lo = tmin; hi = tmax; } else {
      a = Math.max(tmin, Math.min(a, tmax - span));
      lo = a; hi = a + span;
    }
    draw();
  }
  function zoom(f, at) {
    var c = at === undefined ? (lo + hi) / 2 : at, span = (hi - lo) * f;
    setRange(c - (c - lo) * f, c - (c - lo) * f + span);
  }
  function pan(f) { var s = (hi - lo) * f; setRange(lo + s, hi + s); }
  function open(i) { if (i >= 0 && i < n) { window.location.href = d.window_url + d.key[i]; } }
  function timeAt(ev) {
    var r = box.getBoundingClientRect(), x = (ev.clientX - r.left) * W / r.width;
    return lo + (x - L) / PW * (hi - lo);
  }

  document.querySelectorAll("[data-act]").forEach(function (b) {
    b.addEventListener("click", function () {
      var a = b.getAttribute("data-act");
      if (a === "in") { zoom(0.5); } else if (a === "out") { zoom(2); } else if (a === "earlier") { pan(-0.5); }
      else if (a === "later") { pan(0.5); } else { setRange(tmin, tmax); }
    });
  });
  var drag = null;
  box.addEventListener("pointerdown", function (ev) { drag = { x: ev.clientX, lo: lo, hi: hi, moved: false }; box.setPointerCapture(ev.pointerId); });
  box.addEventListener("pointermove", function (ev) {
    if (drag) {
      var r = box.getBoundingClientRect(), dx = (ev.clientX - drag.x) * W / r.width;
      if (Math.abs(dx) > 3) { drag.moved = true; }
      if (drag.moved) { var s = -dx / PW * (drag.hi - drag.lo); setRange(drag.lo + s, drag.hi + s); }
      return;
    }
    if (!n) { return; }
    cursor = nearest(timeAt(ev));
    describe(cursor);
  });
  box.addEventListener("pointerup", function (ev) {
    var wasDrag = drag && drag.moved;
    drag = null;
    if (!wasDrag && n) { open(nearest(timeAt(ev))); }
  });
  box.addEventListener("wheel", function (ev) { ev.preventDefault(); zoom(ev.deltaY > 0 ? 1.25 : 0.8, timeAt(ev)); }, { passive: false });
  box.addEventListener("keydown", function (ev) {
    var step = Math.max(1, Math.round((first(hi) - first(lo)) / 100));
    var k = ev.key;
    if (k === "ArrowLeft" || k === "ArrowRight") {
      cursor = Math.max(0, Math.min(n - 1, cursor + (k === "ArrowLeft" ? -step : step)));
      if (d.t[cursor] < lo) { pan(-0.25); } else if (d.t[cursor] > hi) { pan(0.25); } else { draw(); }
      describe(cursor);
    } else if (k === "PageUp") { pan(-0.5); } else if (k === "PageDown") { pan(0.5); }
    else if (k === "+" || k === "=") { zoom(0.5, n ? d.t[cursor] : undefined); }
    else if (k === "-") { zoom(2, n ? d.t[cursor] : undefined); }
    else if (k === "Home") { setRange(tmin, tmax); }
    else if (k === "Enter") { open(cursor); }
    else { return; }
    ev.preventDefault();
  });
  draw();
  describe(cursor);
  box.setAttribute("data-ready", "1");
  window.__timelineReady = performance.now();
})();
