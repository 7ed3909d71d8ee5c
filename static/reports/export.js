// An export being built: poll its status endpoint, move the progress bar, show the link.
// Everything it needs comes from data- attributes (no inline script: the site's
// Content-Security-Policy allows scripts from our own origin only).
(function () {
  "use strict";
  var box = document.getElementById("export-job");
  if (!box) return;
  var url = box.getAttribute("data-status-url");
  var part = function (role) { return box.querySelector('[data-role="' + role + '"]'); };
  var delay = 1000;

  function show(state) {
    var bar = part("bar");
    bar.value = state.percent;
    bar.textContent = state.percent + "%";
    part("status").textContent = state.status_label;
    part("rows").textContent = state.rows_written +
      (state.rows_total === null ? "" : " / " + state.rows_total);
    if (state.error) {
      part("error-text").textContent = state.error;
      part("error").classList.remove("d-none");
    }
    if (state.ready) {
      var link = part("download");
      if (state.download_url) link.href = state.download_url;
      link.classList.remove("d-none");
    }
    box.setAttribute("data-status", state.status);
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (state) {
        show(state);
        if (state.status === "queued" || state.status === "running") {
          delay = Math.min(delay * 1.5, 5000);
          window.setTimeout(poll, delay);
        }
      })
      .catch(function () { window.setTimeout(poll, 10000); });
  }

  var status = box.getAttribute("data-status");
  if (status === "queued" || status === "running") window.setTimeout(poll, delay);
})();
