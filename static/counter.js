// Keeps a campaign page's counter current by polling the counts API (without the
// per-office list). The page shows the numbers without this. No third-party code.
(function () {
  "use strict";
  var box = document.querySelector("[data-counts-url]");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-counts-url");
  var lang = document.documentElement.lang || "en";
  var locale = lang === "fr" ? "fr-CA" : "en-CA";
  var format = new Intl.NumberFormat(locale);
  var percent = new Intl.NumberFormat(locale, { style: "percent" });
  var delay = 30000;

  function show(name, value) {
    var node = box.querySelector('[data-count="' + name + '"]');
    if (!node || value === null || value === undefined) { return; }
    if (name === "progress") { node.value = Math.min(value, node.max); return; }
    var text = name === "goal_percent" ? percent.format(value / 100) : format.format(value);
    if (node.textContent !== text) { node.textContent = text; }
  }

  function poll() {
    fetch(url, { headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (counts) {
        if (!counts) { return; }
        show("total", counts.total);
        show("calls", counts.calls);
        show("emails", counts.emails);
        show("verified", counts.verified);
        show("self_reported", counts.self_reported);
        show("progress", counts.total);
        show("goal_percent", counts.goal_percent);
        delay = 30000;
      })
      .catch(function () { delay = Math.min(delay * 2, 300000); })
      .then(function () { window.setTimeout(poll, delay); });
  }
  window.setTimeout(poll, delay);
})();
