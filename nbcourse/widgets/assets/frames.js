/* nbcourse.widgets: switch between precomputed frames of an interactive figure.
   Runs once per widget, inline in the page: no request leaves the page, works from file://.
   The data (one <script type="application/json" class="nbw-data"> beside this script):
     params:  [{name, label, kind: "buttons"|"slider"|"points", labels: [text per value]}]
     frames:  [[value index per parameter..., image index, marker-set index]]
     images:  [base64 PNG]           markers: [{parameter index: [[x, y] fraction per value]}]
     start:   index into frames of the first frame shown
   The choice rule (same as Interactive.resolve in Python): after a parameter changes, show the frame
   with that value that keeps most other parameters; ties go to the first frame in order. */
(function () {
  "use strict";
  var script = document.currentScript;
  var root = script && script.closest(".nbw");
  if (!root || root.getAttribute("data-nbw-ready")) { return; }
  root.setAttribute("data-nbw-ready", "1");
  var data = JSON.parse(root.querySelector("script.nbw-data").textContent);
  var P = data.params, F = data.frames, n = P.length;
  var img = root.querySelector("img.nbw-frame");
  var layer = root.querySelector(".nbw-markers");
  var cur = data.start;

  function resolve(changed, value) {
    var best = -1, bestScore = -1;
    for (var f = 0; f < F.length; f++) {
      if (F[f][changed] !== value) { continue; }
      var score = 0;
      for (var p = 0; p < n; p++) { if (p !== changed && F[f][p] === F[cur][p]) { score++; } }
      if (score > bestScore) { best = f; bestScore = score; }
    }
    return best;
  }

  function available(q) {  // values of parameter q with every other parameter as it is now
    var seen = {}, out = [];
    for (var f = 0; f < F.length; f++) {
      var ok = true;
      for (var p = 0; p < n && ok; p++) { if (p !== q && F[f][p] !== F[cur][p]) { ok = false; } }
      if (ok && !seen[F[f][q]]) { seen[F[f][q]] = true; out.push(F[f][q]); }
    }
    return out.sort(function (a, b) { return a - b; });
  }

  function describe(f) {
    var parts = [];
    for (var p = 0; p < n; p++) { parts.push(P[p].label + " = " + P[p].labels[F[f][p]]); }
    return (data.title ? data.title + ": " : "") + parts.join(", ");
  }

  function show(f) {
    if (f < 0) { return; }
    cur = f;
    var frame = F[f];
    img.src = "data:image/png;base64," + data.images[frame[n]];
    img.alt = describe(f);
    root.setAttribute("data-frame", String(f));
    for (var p = 0; p < n; p++) {
      var box = root.querySelector('.nbw-control[data-param="' + p + '"]');
      var value = frame[p];
      var out = box.querySelector("output.nbw-value");
      if (out) { out.textContent = P[p].labels[value]; }
      if (P[p].kind === "slider") {
        var avail = available(p), slider = box.querySelector("input.nbw-slider");
        slider.max = String(Math.max(avail.length - 1, 0));
        slider.value = String(avail.indexOf(value));
        slider.disabled = avail.length < 2;
        slider.nbwValues = avail;
        box.classList.toggle("nbw-fixed", avail.length < 2);
        box.classList.toggle("nbw-na", avail.length < 2 && P[p].labels[value] === "\u2014");
      } else {
        var buttons = box.querySelectorAll("button.nbw-button");
        for (var b = 0; b < buttons.length; b++) {
          buttons[b].setAttribute("aria-pressed", String(Number(buttons[b].getAttribute("data-value")) === value));
        }
      }
    }
    drawMarkers(frame);
  }

  function drawMarkers(frame) {
    if (!layer) { return; }
    layer.textContent = "";
    var sets = data.markers[frame[n + 1]] || {};
    Object.keys(sets).forEach(function (key) {
      var p = Number(key), positions = sets[key];
      for (var v = 0; v < positions.length; v++) {
        if (!positions[v]) { continue; }
        var m = document.createElement("button");
        m.type = "button";
        m.className = "nbw-marker" + (v === frame[p] ? " nbw-current" : "");
        m.style.left = (100 * positions[v][0]) + "%";
        m.style.top = (100 * positions[v][1]) + "%";
        m.title = P[p].label + " = " + P[p].labels[v];
        m.setAttribute("aria-label", m.title);
        m.setAttribute("data-param", String(p));
        m.setAttribute("data-value", String(v));
        layer.appendChild(m);
      }
    });
  }

  root.addEventListener("click", function (event) {
    var target = event.target.closest("button.nbw-button, button.nbw-marker");
    if (!target || !root.contains(target)) { return; }
    var p = Number(target.getAttribute("data-param") || target.closest(".nbw-control").getAttribute("data-param"));
    show(resolve(p, Number(target.getAttribute("data-value"))));
  });
  root.addEventListener("input", function (event) {
    var slider = event.target;
    if (!slider.classList || !slider.classList.contains("nbw-slider")) { return; }
    var p = Number(slider.closest(".nbw-control").getAttribute("data-param"));
    show(resolve(p, slider.nbwValues[Number(slider.value)]));
  });
  show(cur);
})();
