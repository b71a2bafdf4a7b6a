// The copy-link button of the "Share this campaign" block. Without this script the
// read-only field holds the link to select and copy by hand. Clicks are caught on the
// document, so a block that call-status.js puts in place later works too.
(function () {
  "use strict";
  if (!navigator.clipboard || !window.isSecureContext) { return; }
  document.documentElement.classList.add("can-copy");

  function say(button, words) {
    var status = button.parentNode.querySelector(".copy-status");
    if (status) { status.textContent = words; }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button.copy-link") : null;
    if (!button) { return; }
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) { return; }
    navigator.clipboard.writeText(field.value).then(
      function () { say(button, button.getAttribute("data-copied")); },
      function () { field.select(); say(button, button.getAttribute("data-failed")); }
    );
  });
})();
