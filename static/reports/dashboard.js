// The survey dashboard: sortable cells, refreshed in place while the page is open.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live) return;
  var sort = { column: null, descending: false };

  function applySort() {
    var table = live.querySelector("table.cells");
    if (!table || sort.column === null) return;
    var header = table.querySelectorAll("thead th")[sort.column];
    var numeric = header.getAttribute("data-sort") === "number";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[sort.column].getAttribute("data-value");
      var y = b.cells[sort.column].getAttribute("data-value");
      var order = numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
      return sort.descending ? -order : order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    table.querySelectorAll("thead th").forEach(function (th, index) {
      if (index === sort.column) th.setAttribute("aria-sort", sort.descending ? "descending" : "ascending");
      else th.removeAttribute("aria-sort");
    });
  }

  live.addEventListener("click", function (event) {
    var th = event.target.closest("th[data-sort]");
    if (!th) return;
    var column = Array.prototype.indexOf.call(th.parentNode.children, th);
    sort.descending = sort.column === column ? !sort.descending : false;
    sort.column = column;
    applySort();
  });

  var seconds = parseInt(live.getAttribute("data-refresh"), 10) || 10;
  function refresh() {
    fetch(live.getAttribute("data-url"), { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        // A session that expired redirects to the login page: show it whole.
        if (response.redirected) { window.location.reload(); return null; }
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html !== null) { live.innerHTML = html; applySort(); }
      })
      .catch(function () { /* offline for a moment: try again next time */ })
      .finally(function () { window.setTimeout(refresh, seconds * 1000); });
  }
  window.setTimeout(refresh, seconds * 1000);
})();
