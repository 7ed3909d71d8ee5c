// Show and hide questions as the respondent answers, without a reload.
//
// The server sends each condition already parsed (data-relevant holds its tree as
// JSON) and decides again on every submit; this only spares the respondent a round
// trip. The rules mirror surveys/expressions.py.
(function () {
  "use strict";
  var form = document.getElementById("page-form");
  if (!form) return;
  var saved = JSON.parse(document.getElementById("answers").textContent || "{}");
  var blocks = Array.prototype.slice.call(form.querySelectorAll("[data-question]"));

  var UNDECIDED = {};  // thrown by a condition the browser leaves to the server
  function isNumber(v) { return typeof v === "number"; }
  function asString(v) {
    if (v === null || v === undefined) return "";
    if (v === true) return "true";
    if (v === false) return "false";
    if (Array.isArray(v)) return v.join(" ");
    return String(v);
  }
  function asNumber(v) {
    if (typeof v === "boolean") return v ? 1 : 0;
    if (isNumber(v)) return v;
    var s = asString(v).trim();
    if (/^-?(\d+(\.\d*)?|\.\d+)$/.test(s)) return Number(s);
    if (/^\d{4}-\d{2}-\d{2}$/.test(s)) {
      var t = Date.parse(s + "T00:00:00Z");
      return isNaN(t) ? NaN : t / 86400000;  // days since 1970-01-01, as on the server
    }
    return NaN;
  }
  function asBool(v) {
    if (typeof v === "boolean") return v;
    if (isNumber(v)) return !(v === 0 || isNaN(v));
    if (Array.isArray(v)) return v.length > 0;
    return asString(v) !== "";
  }
  function selectedValues(v) {
    if (v === null || v === undefined) return [];
    if (Array.isArray(v)) return v.map(String);
    return asString(v).split(/\s+/).filter(Boolean);
  }
  function compare(op, l, r) {
    if (op === "=" || op === "!=") {
      var eq;
      if (typeof l === "boolean" || typeof r === "boolean") eq = asBool(l) === asBool(r);
      else if (isNumber(l) || isNumber(r)) eq = asNumber(l) === asNumber(r);
      else eq = asString(l) === asString(r);
      return op === "=" ? eq : !eq;
    }
    var a = asNumber(l), b = asNumber(r);
    return op === "<" ? a < b : op === "<=" ? a <= b : op === ">" ? a > b : a >= b;
  }
  function arith(op, l, r) {
    var a = asNumber(l), b = asNumber(r);
    if (isNaN(a) || isNaN(b)) return NaN;
    if (op === "+") return a + b;
    if (op === "-") return a - b;
    if (op === "*") return a * b;
    if (op === "div") return b === 0 ? (a === 0 ? NaN : (a > 0 ? Infinity : -Infinity)) : a / b;
    return b === 0 || !isFinite(a) ? NaN : a % b;
  }
  function value(node, answers, current) {
    switch (node.k) {
      case "lit": return node.v;
      case "ref": return answers[node.n];
      case "cur": return current;
      case "neg": return -asNumber(value(node.a, answers, current));
      case "and": return node.a.every(function (n) { return asBool(value(n, answers, current)); });
      case "or": return node.a.some(function (n) { return asBool(value(n, answers, current)); });
      case "bin":
        var l = value(node.l, answers, current), r = value(node.r, answers, current);
        return ["=", "!=", "<", "<=", ">", ">="].indexOf(node.op) >= 0 ? compare(node.op, l, r) : arith(node.op, l, r);
      case "call": return call(node, answers, current);
    }
    return undefined;
  }
  function call(node, answers, current) {
    if (node.f === "if") {
      return value(asBool(value(node.a[0], answers, current)) ? node.a[1] : node.a[2], answers, current);
    }
    var v = node.a.map(function (n) { return value(n, answers, current); });
    switch (node.f) {
      case "selected": return selectedValues(v[0]).indexOf(asString(v[1])) >= 0;
      case "count-selected": return selectedValues(v[0]).length;
      case "not": return !asBool(v[0]);
      case "true": return true;
      case "false": return false;
      case "coalesce": return asString(v[0]) !== "" ? v[0] : v[1];
      case "string-length": return asString(v[0]).length;
      case "number": return asNumber(v[0]);
      case "int": var n = asNumber(v[0]); return isFinite(n) ? Math.trunc(n) : n;
      case "regex":
        // Only a pattern the server rewrote for RegExp (same meaning as RE2, no nested
        // repetition); any other is the server's to decide when the page is saved.
        if (typeof node.js !== "string") throw UNDECIDED;
        return new RegExp(node.js, "u").test(asString(v[0]));
      case "today":
        var d = new Date();
        return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
    }
    return undefined;
  }

  function blockValues(block) {
    var values = {};
    block.querySelectorAll("input, select, textarea").forEach(function (el) {
      if (!el.name) return;
      if (el.type === "checkbox") {
        values[el.name] = values[el.name] || [];
        if (el.checked) values[el.name].push(el.value);
      } else if (el.type === "radio") {
        if (el.checked) values[el.name] = el.value;
      } else if (el.value.trim() !== "") {
        values[el.name] = el.value.trim();
      }
    });
    return values;
  }

  function refresh() {
    var answers = {};
    var onPage = {};
    form.querySelectorAll("[data-question] [name]").forEach(function (el) { onPage[el.name] = true; });
    Object.keys(saved).forEach(function (k) { if (!onPage[k]) answers[k] = saved[k]; });
    blocks.forEach(function (block) {
      var tree = block.getAttribute("data-relevant");
      var shown;
      try {
        shown = !tree || asBool(value(JSON.parse(tree), answers, undefined));
      } catch (error) {
        if (error !== UNDECIDED) throw error;
        shown = !block.hidden;  // as the server last decided
      }
      block.hidden = !shown;
      if (shown) {
        var values = blockValues(block);
        Object.keys(values).forEach(function (k) {
          if (!(Array.isArray(values[k]) && values[k].length === 0)) answers[k] = values[k];
        });
      }
    });
  }

  // A long list (30 choices or more) gets a search box: a single choice is a select
  // whose options narrow to those matching, a multiple choice's boxes hide likewise.
  function normal(text) { return text.toLocaleLowerCase().normalize("NFKC").trim(); }
  function searchBox(label, before) {
    var box = document.createElement("input");
    box.type = "search";
    box.className = "form-control mb-2";
    box.placeholder = label;
    box.setAttribute("aria-label", label);
    box.setAttribute("data-search", "");  // not an answer: no name, never posted
    before.parentNode.insertBefore(box, before);
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter") event.preventDefault();  // searching is not "Next"
    });
    return box;
  }
  form.querySelectorAll("select[data-searchable]").forEach(function (select) {
    var options = Array.prototype.slice.call(select.options);
    var box = searchBox(select.getAttribute("data-search-label") || "", select);
    box.addEventListener("input", function (event) {
      event.stopPropagation();
      var wanted = normal(box.value);
      var chosen = select.value;
      select.replaceChildren.apply(select, options.filter(function (option) {
        return option.value === "" || option.value === chosen ||
          normal(option.textContent).indexOf(wanted) !== -1;
      }));
      select.value = chosen;
    });
  });
  blocks.forEach(function (block) {
    var boxes = block.querySelectorAll("input[type=checkbox][data-searchable]");
    if (!boxes.length) return;
    var first = boxes[0].closest(".form-check");
    var box = searchBox(boxes[0].getAttribute("data-search-label") || "", first);
    box.addEventListener("input", function (event) {
      event.stopPropagation();
      var wanted = normal(box.value);
      boxes.forEach(function (input) {
        var item = input.closest(".form-check");
        var label = item.querySelector("label");
        item.hidden = !input.checked && wanted !== "" &&
          normal(label ? label.textContent : "").indexOf(wanted) === -1;
      });
    });
  });

  form.addEventListener("change", refresh);
  form.addEventListener("input", refresh);
  refresh();

  // One submit per page: a double click on Next sends the form once.
  form.addEventListener("submit", function (event) {
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
  });

  // A refused page: the summary of what to fix takes the focus (a screen reader reads
  // it first), and each of its links moves the focus to the question it names.
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-focus]");
      var target = link && document.getElementById(link.dataset.focus);
      if (!target) return;
      event.preventDefault();
      target.scrollIntoView({ block: "center" });
      target.focus();
    });
  }

  var languageSelect = document.getElementById("switch-language");
  if (languageSelect) {
    languageSelect.addEventListener("change", function () { languageSelect.form.submit(); });
  }
})();
