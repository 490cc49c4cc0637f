// No style sheet injected by vega-embed or vega-tooltip (the page's Content-Security-Policy admits only its own,
// page.css, which carries the few rules they need).
var EMBED_OPTIONS = {mode: "vega-lite", renderer: "svg", actions: false, defaultStyle: false,
                     tooltip: {disableDefaultStyle: true}};
// Charts take the width of their container (the notebooks' fixed width is for JupyterLab and the PNG).
// On a phone a legend takes one column as wide as the screen, so that its labels are not cut.
function fitted(spec) {
  spec.width = "container";
  spec.autosize = {type: "fit-x", contains: "padding"};
  if (window.innerWidth <= 700 && spec.config && spec.config.legend) {
    spec.config.legend.columns = 1;
    spec.config.legend.labelLimit = Math.max(window.innerWidth - 90, 160);
  }
  return spec;
}
// Printed, a chart drawn at the screen's width would be scaled down to the paper's (its text to about 6 pt): before
// printing every chart is redrawn at the printed width (A4 less 12 mm margins, 703 CSS px) and a lower plot height,
// after it at its own.
var PRINT_WIDTH = 703, PRINT_HEIGHT = 110, VIEWS = [];
function keep(result) { VIEWS.push({view: result.view, box: result.view.container(), height: result.view.height()}); }
function redraw(printing) {
  VIEWS.forEach(function (v) {
    var width = printing ? PRINT_WIDTH : v.box.clientWidth;
    if (width > 0) { v.view.width(width).height(printing ? Math.min(PRINT_HEIGHT, v.height) : v.height).run(); }
  });
}
window.addEventListener("beforeprint", function () { redraw(true); });
window.addEventListener("afterprint", function () { redraw(false); });
document.querySelectorAll("script[data-chart]").forEach(function (node) {
  var spec = fitted(JSON.parse(node.textContent));
  vegaEmbed("#" + node.getAttribute("data-chart"), spec, EMBED_OPTIONS).then(keep)
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
  var defaults = {};
  w.controls.forEach(function (c) { defaults[c.name] = c["default"]; });
  function matches(row, values, free) {
    return w.controls.every(function (c) { return c.name === free || row[c.name] === values[c.name]; });
  }
  function tagged(rows, setting) {
    return rows.map(function (r) { var t = Object.assign({}, r); t.setting = setting; return t; });
  }
  // The y axis fits the lines shown (chosen and defaults), as present.fitted_y_domain does in Python.
  function fit(spec, rows) {
    var y = spec.encoding.y, values = rows.map(function (r) { return r[y.field]; })
      .filter(function (v) { return typeof v === "number" && isFinite(v); });
    if (values.length) {
      y.scale = Object.assign({}, y.scale || {}, {domain: [Math.min.apply(null, values), Math.max.apply(null, values)],
                                                  nice: true, zero: false});
    }
  }
  // The chart: the chosen values' lines (solid) over the defaults' (dashed, the reference), with a rule at the chosen
  // value when the x axis is itself a control.
  function chart(chosen) {
    var spec = fitted(JSON.parse(JSON.stringify(w.chart)));
    var notes = (spec.title && spec.title.subtitle) || [];
    delete spec.title;                                  // its takeaway was written for the run's values
    spec.description = notes.join(". ");
    var shown = tagged(lines.filter(function (r) { return matches(r, chosen, w.x); }), "chosen values");
    var reference = tagged(lines.filter(function (r) { return matches(r, defaults, w.x); }), "defaults");
    spec.datasets[spec.data.name] = shown.concat(reference);
    fit(spec, shown.concat(reference));
    spec.encoding.strokeDash = {field: "setting", type: "nominal", title: null,
      scale: {domain: ["chosen values", "defaults"], range: [[1, 0], [5, 4]]},
      legend: {symbolType: "stroke", symbolStrokeWidth: 2.5, symbolSize: 400,
               encode: {symbols: {update: {stroke: {value: "#1d2430"}}}}}};   // a swatch: as present.DASH_SWATCH
    var control = w.controls.filter(function (c) { return c.name === w.x; })[0];
    if (!control) { return spec; }
    var top = {}, inner = {};
    Object.keys(spec).forEach(function (k) {
      (["config", "datasets", "width", "height", "autosize", "description"].indexOf(k) >= 0 ? top : inner)[k] = spec[k];
    });
    top.layer = [inner, {data: {values: [{chosen: chosen[w.x]}]}, mark: {type: "rule", color: "#D55E00", strokeWidth: 2},
                         encoding: {x: {field: "chosen", type: "quantitative"}}}];
    return top;
  }
  function update() {
    var chosen = {}, command = [w.command], said = [];
    w.controls.forEach(function (c, i) {
      var k = +inputs[i].value;
      chosen[c.name] = c.values[k];
      box.querySelector("output[data-for='" + c.name + "']").textContent = c.labels[k];
      said.push(c.label + " " + c.labels[k]);
      if (c.values[k] !== c["default"]) { command.push("--set " + c.name + "=" + c.set[k]); }
    });
    var body = box.querySelector("tbody.what-if-values");
    body.textContent = "";
    var outcomes = [];
    points.filter(function (r) { return matches(r, chosen, null); }).forEach(function (r) {
      var tr = document.createElement("tr");
      if (w.series) { cell(tr, r[w.series], "text"); }
      r.text.forEach(function (text) { cell(tr, text, "num"); });
      body.appendChild(tr);
      outcomes.push((w.series ? r[w.series] + ": " : "") + w.outputs.map(function (o, i) {
        return o.label + " " + r.text[i]; }).join(", "));
    });
    box.querySelector("code.set-line").textContent = command.join(" ");
    box.querySelector(".what-if-description").textContent =
      "At " + said.join(", ") + ": " + outcomes.join("; ") + ". The dashed lines are the defaults.";
    vegaEmbed(box.querySelector(".what-if-chart"), chart(chosen), EMBED_OPTIONS)
      .catch(function (error) { console.error("what-if " + w.name + ": " + error); });
  }
  inputs.forEach(function (input) { input.addEventListener("input", update); });
  update();
});

// Code cells are folded away; one button shows or hides all of them.
document.querySelectorAll("button.show-code").forEach(function (button) {
  button.addEventListener("click", function () {
    var shown = document.body.classList.toggle("show-code");
    button.setAttribute("aria-pressed", String(shown));
    button.textContent = shown ? "Hide code" : "Show code";
  });
});
