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
  // The page's questions (an entry of a repeat holds questions of its own, read below).
  var blocks = Array.prototype.slice.call(form.querySelectorAll(".question[data-question]"));
  // The columns of the choice a choice filter is checking (what its bare names read).
  var choiceRow = null;

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
      case "fld": return choiceRow ? choiceRow[node.n] : undefined;
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
      case "count":
        if (Array.isArray(v[0])) return v[0].length;
        return v[0] === null || v[0] === undefined || v[0] === "" ? 0 : 1;
      case "sum":
        return (Array.isArray(v[0]) ? v[0] : [v[0]]).reduce(function (total, item) {
          return item === null || item === undefined || item === "" ? total : total + asNumber(item);
        }, 0);
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

  function blockValues(block, prefix) {
    var values = {};
    block.querySelectorAll("input, select, textarea").forEach(function (el) {
      if (!el.name || el.type === "hidden") return;
      var name = el.name;
      if (prefix !== undefined) {
        if (name.indexOf(prefix) !== 0) return;
        name = name.slice(prefix.length);
      }
      el = { name: name, type: el.type, checked: el.checked, value: el.value };
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

  function addValues(answers, values) {
    Object.keys(values).forEach(function (k) {
      if (!(Array.isArray(values[k]) && values[k].length === 0)) answers[k] = values[k];
    });
  }

  // A choice filter: offer only the choices whose columns pass it (the server checks
  // again); a choice no longer offered is unticked.
  function filterChoices(block, answers) {
    var tree = block.getAttribute("data-choice-filter");
    if (!tree) return;
    tree = JSON.parse(tree);
    var rows = JSON.parse(block.getAttribute("data-choice-rows") || "{}");
    function passes(choice) {
      var choiceRows = rows[choice] && rows[choice].length ? rows[choice] : [{}];
      return choiceRows.some(function (row) {
        choiceRow = Object.assign({}, row, { name: choice });
        try { return asBool(value(tree, answers, undefined)); } finally { choiceRow = null; }
      });
    }
    block.querySelectorAll("input[type=radio], input[type=checkbox]").forEach(function (input) {
      var offered = passes(input.value);
      var item = input.closest(".form-check") || input.parentNode;
      item.hidden = !offered;
      if (!offered) input.checked = false;
    });
    block.querySelectorAll("select option").forEach(function (option) {
      if (option.value === "") return;
      var offered = passes(option.value);
      option.hidden = !offered;
      option.disabled = !offered;
      if (!offered && option.selected) option.selected = false;
    });
  }

  // A repeat's entries as the server stores them: each entry's answers by question.
  function refreshRepeat(block, answers) {
    var entries = [];
    block.querySelectorAll("[data-entries] > [data-entry]").forEach(function (entry) {
      var prefix = entry.getAttribute("data-prefix");
      var own = {};
      entry.querySelectorAll("[data-question]").forEach(function (child) {
        var tree = child.getAttribute("data-relevant");
        var context = Object.assign({}, answers, own);
        var shown = !tree || asBool(value(JSON.parse(tree), context, undefined));
        child.hidden = !shown;
        if (shown) addValues(own, blockValues(child, prefix));
      });
      if (Object.keys(own).length) entries.push(own);
    });
    return entries;
  }

  function refresh() {
    var answers = {};
    var onPage = {};
    blocks.forEach(function (block) { onPage[block.getAttribute("data-question")] = true; });
    form.querySelectorAll(".question[data-question] [name]").forEach(function (el) { onPage[el.name] = true; });
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
      if (!shown) return;
      filterChoices(block, answers);
      if (block.querySelector("[data-repeat]")) {
        var entries = refreshRepeat(block, answers);
        if (entries.length) answers[block.getAttribute("data-question")] = entries;
      } else {
        addValues(answers, blockValues(block));
      }
    });
  }

  // A repeat's Add and Remove buttons (without a script, the entries shown are those
  // stored, or one blank entry: the server drops an entry left blank).
  function renumber(repeat) {
    var entries = repeat.querySelectorAll("[data-entries] > [data-entry]");
    entries.forEach(function (entry, index) {
      var title = entry.querySelector("[data-entry-title]");
      if (title) title.textContent = title.textContent.replace(/\d+/, String(index + 1));
    });
    var max = Number(repeat.getAttribute("data-max-entries") || "50");
    repeat.querySelector("[data-repeat-add]").hidden = entries.length >= max;
  }
  form.querySelectorAll("[data-repeat]").forEach(function (repeat) {
    var name = repeat.getAttribute("data-repeat");
    var list = repeat.querySelector("[data-entries]");
    var template = repeat.querySelector("template[data-entry-template]");
    repeat.querySelectorAll("[data-repeat-remove]").forEach(function (b) { b.hidden = false; });
    repeat.querySelector("[data-repeat-add]").addEventListener("click", function () {
      var next = 0;
      list.querySelectorAll("input[type=hidden]").forEach(function (marker) {
        if (marker.name === name) next = Math.max(next, Number(marker.value) + 1);
      });
      var entry = template.content.firstElementChild.cloneNode(true);
      [entry].concat(Array.prototype.slice.call(entry.querySelectorAll("*"))).forEach(function (el) {
        ["name", "id", "for", "aria-describedby", "data-prefix", "value"].forEach(function (attr) {
          var old = el.getAttribute(attr);
          if (old && old.indexOf("__index__") !== -1) el.setAttribute(attr, old.split("__index__").join(String(next)));
        });
      });
      entry.querySelector("[data-repeat-remove]").hidden = false;
      list.appendChild(entry);
      renumber(repeat);
      refresh();
      var first = entry.querySelector("input:not([type=hidden]), select, textarea");
      if (first) first.focus();
    });
    list.addEventListener("click", function (event) {
      var button = event.target.closest("[data-repeat-remove]");
      if (!button) return;
      button.closest("[data-entry]").remove();
      renumber(repeat);
      refresh();
    });
    renumber(repeat);
  });

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
