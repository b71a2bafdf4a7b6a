// Follows a call request by polling its JSON status and updates the page in place (no
// reload); without this script the page offers a "Check again" link. No third-party code.
(function () {
  "use strict";
  var box = document.getElementById("call-status");
  if (!box || box.getAttribute("data-finished") === "true") { return; }
  var url = box.getAttribute("data-status-url");
  var seen = null;
  var delay = 1500;

  function attempts(info) {
    var n = 0;
    for (var i = 0; i < info.targets.length; i++) { n += info.targets[i].attempts.length; }
    return n;
  }

  // New outcomes or the end of the call: fetch the page as the server renders it and put
  // its content in place of ours, keeping the live message (announced by screen readers).
  function refresh(done) {
    return fetch(window.location.href, { headers: { "Accept": "text/html" }, cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var main = document.querySelector("main");
        var newMain = fresh.querySelector("main");
        var message = box.querySelector(".status-message");
        var newMessage = fresh.querySelector("#call-status .status-message");
        if (!main || !newMain) { return; }
        if (message && newMessage) { newMessage.parentNode.replaceChild(message, newMessage); }
        while (main.firstChild) { main.removeChild(main.firstChild); }
        while (newMain.firstChild) { main.appendChild(document.adoptNode(newMain.firstChild)); }
        box = document.getElementById("call-status");
        done();
      });
  }

  function poll() {
    var finished = false;
    fetch(url, { headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (info) {
        if (!info) { return null; }
        var message = box.querySelector(".status-message");
        if (message && message.textContent !== info.message) { message.textContent = info.message; }
        var count = attempts(info);
        var changed = seen !== null && count !== seen;
        seen = count;
        if (info.finished || changed) {
          return refresh(function () { finished = info.finished; });
        }
        return null;
      })
      .catch(function () { delay = Math.min(delay * 2, 15000); })
      .then(function () { if (!finished) { window.setTimeout(poll, delay); } });
  }
  window.setTimeout(poll, delay);
})();
