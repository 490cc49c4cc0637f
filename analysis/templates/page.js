// No style sheet injected by vega-embed or vega-tooltip (the page's Content-Security-Policy admits only its own,
// page.css, which carries the few rules they need).
var EMBED_OPTIONS = {mode: "vega-lite", renderer: "svg", actions: false, defaultStyle: false,
                     tooltip: {disableDefaultStyle: true}};
document.querySelectorAll("script[data-chart]").forEach(function (node) {
  var spec = JSON.parse(node.textContent);
  vegaEmbed("#" + node.getAttribute("data-chart"), spec, EMBED_OPTIONS)
    .catch(function (error) { console.error("chart " + node.getAttribute("data-chart") + ": " + error); });
});
// What-if boxes: every number and chart point is a grid point computed in Python at build time; this script only
// looks them up (no formula), and writes text with textContent only.
document.querySelectorAll("section[data-what-if]").forEach(function (box) {
  var w = JSON.parse(box.querySelector("script[data-what-if-payload]").textContent);
  function records(columns, rows) {
    return rows.map(function (row) {
      var record = {};
      columns.forEach(function (c, i) { record[c] = row[i]; });
      record.text = row.slice(columns.length);
      return record;
    });
  }
  var points = records(w.columns, w.rows);
  var lines = w.lines ? records(w.lines.columns, w.lines.rows) : points;
  var inputs = Array.prototype.slice.call(box.querySelectorAll("input[data-control]"));
  function cell(row, text, kind) {
    var td = document.createElement("td");
    td.className = kind;
    td.textContent = text;
    row.appendChild(td);
  }
  function update() {
    var chosen = {}, command = [w.command];
    w.controls.forEach(function (c, i) {
      var k = +inputs[i].value;
      chosen[c.name] = c.values[k];
      box.querySelector("output[data-for='" + c.name + "']").textContent = c.labels[k];
      if (c.values[k] !== c["default"]) { command.push("--set " + c.name + "=" + c.set[k]); }
    });
    function matches(row, free) {
      return w.controls.every(function (c) { return c.name === free || row[c.name] === chosen[c.name]; });
    }
    var body = box.querySelector("tbody.what-if-values");
    body.textContent = "";
    points.filter(function (r) { return matches(r, null); }).forEach(function (r) {
      var tr = document.createElement("tr");
      if (w.series) { cell(tr, r[w.series], "text"); }
      r.text.forEach(function (text) { cell(tr, text, "num"); });
      body.appendChild(tr);
    });
    box.querySelector("code.set-line").textContent = command.join(" ");
    var spec = JSON.parse(JSON.stringify(w.chart));
    spec.datasets[spec.data.name] = lines.filter(function (r) { return matches(r, w.x); });
    vegaEmbed(box.querySelector(".what-if-chart"), spec, EMBED_OPTIONS)
      .catch(function (error) { console.error("what-if " + w.name + ": " + error); });
  }
  inputs.forEach(function (input) { input.addEventListener("input", update); });
  update();
});
