/* tinyjoule report: the trace plots. Plain JavaScript on a canvas, no library, no network.
   Each .plot element names its series (the envelope in the JSON block #tj-data) and its initial
   time range; drag across a plot to zoom, double-click or "reset" to go back. Plots are drawn
   when they scroll into view and released when far from it, so a report with hundreds of
   windows stays light. */
(function () {
  "use strict";
  var MARGIN = { left: 72, right: 14, top: 10, bottom: 40 };
  var raw = JSON.parse(document.getElementById("tj-data").textContent);
  var series = {};
  raw.series.forEach(function (s) { series[s.id] = decode(s); });

  function decode(s) {
    var n = s.lo.length, t = new Float64Array(n + 1), lo = new Float64Array(n),
        hi = new Float64Array(n), b = s.b0, i;
    t[0] = b / s.fs;
    for (i = 0; i < n; i++) {
      b += s.db[i];
      t[i + 1] = b / s.fs;
      lo[i] = s.lo[i] < 0 ? NaN : s.q0 + s.lo[i] * s.qs;
      hi[i] = s.hi[i] < 0 ? NaN : s.q0 + s.hi[i] * s.qs;
    }
    return { fs: s.fs, unit: s.unit, quantity: s.quantity, t: t, lo: lo, hi: hi,
             duration: s.n / s.fs, events: s.events, windows: s.windows, captures: s.captures };
  }

  function bisect(a, x) { /* first index with a[i] > x */
    var l = 0, h = a.length;
    while (l < h) { var m = (l + h) >> 1; if (a[m] <= x) { l = m + 1; } else { h = m; } }
    return l;
  }

  function ticks(a, b, count) {
    var span = b - a, step = Math.pow(10, Math.floor(Math.log10(span / count))), out = [], v;
    var err = span / count / step;
    if (err >= 7.5) { step *= 10; } else if (err >= 3.5) { step *= 5; } else if (err >= 1.5) { step *= 2; }
    for (v = Math.ceil(a / step) * step; v <= b + step * 1e-9; v += step) { out.push(v); }
    return { values: out, digits: Math.max(0, -Math.floor(Math.log10(step) + 1e-9)) };
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text) { e.textContent = text; }
    return e;
  }

  function Plot(node) {
    this.node = node;
    this.s = series[node.getAttribute("data-series")];
    this.home = [parseFloat(node.getAttribute("data-x0")), parseFloat(node.getAttribute("data-x1"))];
    this.view = this.home.slice();
    var w = node.getAttribute("data-window");
    this.focus = w === null ? -1 : parseInt(w, 10);
    var bar = el("div", "bar");
    bar.appendChild(el("span", "title", node.getAttribute("data-title") || ""));
    this.readout = bar.appendChild(el("span", "readout", ""));
    var self = this;
    [["zoom out", function () { self.zoomOut(); }], ["reset", function () { self.reset(); }]]
      .forEach(function (b) {
        var btn = bar.appendChild(el("button", "", b[0]));
        btn.type = "button";
        btn.addEventListener("click", b[1]);
      });
    this.area = el("div", "area");
    this.sel = el("div", "sel");
    node.appendChild(bar);
    node.appendChild(this.area);
    this.area.appendChild(this.sel);
    this.canvas = null;
    this.drawn = false;
  }

  Plot.prototype.setView = function (a, b) {
    var min = 4 / this.s.fs, c;
    if (b - a < min) { c = (a + b) / 2; a = c - min / 2; b = c + min / 2; }
    this.view = [Math.max(a, 0), Math.min(b, this.s.duration)];
    this.draw();
  };
  Plot.prototype.reset = function () { this.view = this.home.slice(); this.draw(); };
  Plot.prototype.zoomOut = function () {
    var c = (this.view[0] + this.view[1]) / 2, h = this.view[1] - this.view[0];
    this.setView(c - h, c + h);
  };

  Plot.prototype.ensureCanvas = function () {
    if (this.canvas) { return; }
    var c = el("canvas"), self = this, start = null;
    this.area.insertBefore(c, this.sel);
    this.canvas = c;
    function x(ev) { return ev.clientX - c.getBoundingClientRect().left; }
    c.addEventListener("mousedown", function (ev) { start = x(ev); ev.preventDefault(); });
    c.addEventListener("mousemove", function (ev) {
      var px = x(ev);
      self.showReadout(px);
      if (start === null) { return; }
      self.sel.style.display = "block";
      self.sel.style.left = Math.min(start, px) + "px";
      self.sel.style.width = Math.abs(px - start) + "px";
    });
    window.addEventListener("mouseup", function (ev) {
      if (start === null) { return; }
      var px = x(ev), a = Math.min(start, px), b = Math.max(start, px);
      start = null;
      self.sel.style.display = "none";
      if (b - a > 4) { self.setView(self.timeAt(a), self.timeAt(b)); }
    });
    c.addEventListener("dblclick", function () { self.reset(); });
  };

  Plot.prototype.timeAt = function (px) {
    var w = this.width - MARGIN.left - MARGIN.right, f = (px - MARGIN.left) / w;
    f = Math.min(Math.max(f, 0), 1);
    return this.view[0] + f * (this.view[1] - this.view[0]);
  };

  Plot.prototype.showReadout = function (px) {
    if (!this.cols) { return; }
    var c = Math.floor(px - MARGIN.left);
    if (c < 0 || c >= this.cols.lo.length || isNaN(this.cols.lo[c])) { this.readout.textContent = ""; return; }
    this.readout.textContent = "t = " + this.timeAt(px).toFixed(6) + " s: " +
      this.cols.lo[c].toPrecision(5) + " to " + this.cols.hi[c].toPrecision(5) + " " + this.s.unit;
  };

  Plot.prototype.columns = function (w) {
    var s = this.s, x0 = this.view[0], x1 = this.view[1], k = w / (x1 - x0);
    var lo = new Float64Array(w).fill(NaN), hi = new Float64Array(w).fill(NaN), i, c, a, b;
    for (i = Math.max(bisect(s.t, x0) - 1, 0); i < s.lo.length && s.t[i] < x1; i++) {
      if (isNaN(s.lo[i])) { continue; }
      a = Math.max(Math.floor((s.t[i] - x0) * k), 0);
      b = Math.min(Math.max(Math.ceil((s.t[i + 1] - x0) * k) - 1, a), w - 1);
      for (c = a; c <= b; c++) {
        if (!(lo[c] <= s.lo[i])) { lo[c] = s.lo[i]; }
        if (!(hi[c] >= s.hi[i])) { hi[c] = s.hi[i]; }
      }
    }
    return { lo: lo, hi: hi };
  };

  Plot.prototype.draw = function () {
    this.ensureCanvas();
    var s = this.s, dpr = window.devicePixelRatio || 1, c = this.canvas;
    var W = Math.max(this.area.clientWidth, 200), H = Math.max(this.area.clientHeight, 120);
    var pw = W - MARGIN.left - MARGIN.right, ph = H - MARGIN.top - MARGIN.bottom;
    this.width = W;
    c.width = W * dpr; c.height = H * dpr; c.style.width = W + "px"; c.style.height = H + "px";
    var g = c.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.fillStyle = "#fff"; g.fillRect(0, 0, W, H);
    var x0 = this.view[0], x1 = this.view[1], cols = this.columns(Math.floor(pw));
    this.cols = cols;
    var y0 = Infinity, y1 = -Infinity, i;
    for (i = 0; i < cols.lo.length; i++) {
      if (!isNaN(cols.lo[i])) { y0 = Math.min(y0, cols.lo[i]); y1 = Math.max(y1, cols.hi[i]); }
    }
    if (y0 > y1) { y0 = 0; y1 = 1; }
    var pad = (y1 - y0) * 0.06 || Math.abs(y1) * 0.05 || 1;
    y0 -= pad; y1 += pad;
    function X(t) { return MARGIN.left + (t - x0) / (x1 - x0) * pw; }
    function Y(v) { return MARGIN.top + (1 - (v - y0) / (y1 - y0)) * ph; }
    /* grid and tick labels */
    var tx = ticks(x0, x1, Math.max(2, Math.floor(pw / 110))), ty = ticks(y0, y1, Math.max(2, Math.floor(ph / 40)));
    g.strokeStyle = "#eceff2"; g.fillStyle = "#39424b"; g.lineWidth = 1; g.font = "11px sans-serif";
    g.textAlign = "center"; g.textBaseline = "top";
    tx.values.forEach(function (v) {
      var x = Math.round(X(v)) + 0.5;
      g.beginPath(); g.moveTo(x, MARGIN.top); g.lineTo(x, MARGIN.top + ph); g.stroke();
      g.fillText(v.toFixed(tx.digits), x, MARGIN.top + ph + 4);
    });
    g.textAlign = "right"; g.textBaseline = "middle";
    ty.values.forEach(function (v) {
      var y = Math.round(Y(v)) + 0.5;
      g.beginPath(); g.moveTo(MARGIN.left, y); g.lineTo(MARGIN.left + pw, y); g.stroke();
      g.fillText(v.toFixed(ty.digits), MARGIN.left - 5, y);
    });
    g.save();
    g.beginPath(); g.rect(MARGIN.left, MARGIN.top, pw, ph); g.clip();
    /* windows */
    var focus = this.focus;
    s.windows.forEach(function (w, n) {
      if (w[3] < x0 || w[2] > x1) { return; }
      var aligned = w[4] === "aligned";
      g.fillStyle = aligned ? "rgba(255,127,14,0.16)" : (n === focus ? "rgba(44,160,44,0.16)" : "rgba(44,160,44,0.09)");
      g.fillRect(X(w[2]), aligned ? MARGIN.top + ph / 2 : MARGIN.top, X(w[3]) - X(w[2]), aligned ? ph / 2 : ph);
    });
    /* the envelope: filled between least and greatest, both outlined */
    g.fillStyle = "rgba(31,119,180,0.40)"; g.strokeStyle = "#1f77b4"; g.lineWidth = 1;
    var run = [];
    function flush() {
      if (!run.length) { return; }
      var j;
      g.beginPath();
      for (j = 0; j < run.length; j++) { g.lineTo(MARGIN.left + run[j] + 0.5, Y(cols.hi[run[j]])); }
      for (j = run.length - 1; j >= 0; j--) { g.lineTo(MARGIN.left + run[j] + 0.5, Y(cols.lo[run[j]])); }
      g.closePath(); g.fill(); g.stroke();
      run = [];
    }
    for (i = 0; i < cols.lo.length; i++) { if (isNaN(cols.lo[i])) { flush(); } else { run.push(i); } }
    flush();
    /* events, capture starts, window edges */
    function vline(t, color, width, dash) {
      if (t < x0 || t > x1) { return; }
      var x = Math.round(X(t)) + 0.5;
      g.strokeStyle = color; g.lineWidth = width; g.setLineDash(dash);
      g.beginPath(); g.moveTo(x, MARGIN.top); g.lineTo(x, MARGIN.top + ph); g.stroke();
    }
    var shown = 0;  /* many edges in view: thinner and lighter, so the trace stays visible */
    s.windows.forEach(function (w) { if (w[3] >= x0 && w[2] <= x1) { shown += 1; } });
    var dense = shown * 2 > pw / 12;
    s.events.forEach(function (t) { vline(t, dense ? "rgba(138,143,150,0.4)" : "#8a8f96", 1, [4, 3]); });
    s.captures.forEach(function (t) { vline(t, "#333", 1.5, [6, 4]); });
    s.windows.forEach(function (w) {
      var color = w[4] === "aligned" ? "255,127,14" : "214,39,40";
      color = "rgba(" + color + (dense ? ",0.35)" : ",1)");
      vline(w[2], color, dense ? 1 : 1.5, []); vline(w[3], color, dense ? 1 : 1.5, []);
    });
    g.setLineDash([]);
    g.restore();
    /* frame and axis labels */
    g.strokeStyle = "#6b747d"; g.lineWidth = 1;
    g.strokeRect(MARGIN.left + 0.5, MARGIN.top + 0.5, pw, ph);
    g.fillStyle = "#1d2329"; g.font = "12px sans-serif"; g.textAlign = "center"; g.textBaseline = "bottom";
    g.fillText("time (s)", MARGIN.left + pw / 2, H - 2);
    g.save(); g.translate(13, MARGIN.top + ph / 2); g.rotate(-Math.PI / 2);
    g.textBaseline = "middle"; g.fillText(s.quantity + " (" + s.unit + ")", 0, 0); g.restore();
    this.drawn = true;
    this.node.setAttribute("data-view", x0 + "," + x1);
  };

  Plot.prototype.release = function () {
    if (!this.canvas) { return; }
    this.canvas.width = 0; this.canvas.height = 0;
    this.drawn = false;
  };

  var plots = [];
  Array.prototype.forEach.call(document.querySelectorAll(".plot[data-series]"), function (node) {
    if (series[node.getAttribute("data-series")]) { plots.push(new Plot(node)); }
  });
  if ("IntersectionObserver" in window) {
    var byNode = new Map(plots.map(function (p) { return [p.node, p]; }));
    var io = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) {
        var p = byNode.get(e.target);
        if (e.isIntersecting) { if (!p.drawn) { p.draw(); } } else { p.release(); }
      });
    }, { rootMargin: "800px 0px" });
    plots.forEach(function (p) { io.observe(p.node); });
  } else {
    plots.forEach(function (p) { p.draw(); });
  }
  var timer = null;
  window.addEventListener("resize", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { plots.forEach(function (p) { if (p.drawn) { p.draw(); } }); }, 150);
  });
  document.documentElement.setAttribute("data-plots", String(plots.length));
}());
