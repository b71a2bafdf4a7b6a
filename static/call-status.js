// Follows a call request by polling its JSON status; the page works without this
// (it refreshes itself in <noscript>). No third-party code.
(function () {
  "use strict";
  var box = document.getElementById("call-status");
  if (!box || box.getAttribute("data-finished") === "true") { return; }
  var url = box.getAttribute("data-status-url");
  var message = box.querySelector(".status-message");
  var seen = null;
  var delay = 1500;

  function attempts(info) {
    var n = 0;
    for (var i = 0; i < info.targets.length; i++) { n += info.targets[i].attempts.length; }
    return n;
  }

  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (info) {
        if (!info) { return; }
        if (message.textContent !== info.message) { message.textContent = info.message; }
        var count = attempts(info);
        // New outcomes or the end of the call: let the server render the full page.
        if (info.finished || (seen !== null && count !== seen)) { window.location.reload(); return; }
        seen = count;
      })
      .catch(function () { delay = Math.min(delay * 2, 15000); })
      .then(function () { window.setTimeout(poll, delay); });
  }
  window.setTimeout(poll, delay);
})();
