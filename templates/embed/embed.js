// CallMP's snippet for partners' pages: inserts the campaign in a frame that fits its
// content, or a link to the campaign's own page when this site may not frame it.
(function () {
  "use strict";
  var TEXTS = {{ texts }};
  var WAIT_MS = 8000;  // no word from the frame by then: it was refused or failed to load
  var script = document.currentScript;
  if (!script || !script.dataset.campaign) {
    return;
  }
  var base = new URL(script.src, document.baseURI).origin;
  var asked = (script.dataset.lang || document.documentElement.lang || "en").slice(0, 2);
  var lang = asked.toLowerCase() === "fr" ? "fr" : "en";
  var query = "?lang=" + lang;
  if (script.dataset.ref) {
    query += "&ref=" + encodeURIComponent(script.dataset.ref);
  }
  var slug = encodeURIComponent(script.dataset.campaign);

  var box = document.createElement("div");
  box.className = "callmp-embed";
  var frame = document.createElement("iframe");
  frame.src = base + "/c/" + slug + "/embed" + query;
  frame.title = TEXTS[lang].title;
  frame.style.width = "100%";
  frame.style.minHeight = "320px";
  frame.style.border = "0";
  var link = document.createElement("a");
  link.href = base + "/c/" + slug + query;
  link.textContent = TEXTS[lang].open;
  link.hidden = true;
  box.appendChild(frame);
  box.appendChild(link);
  script.parentNode.insertBefore(box, script.nextSibling);

  var heard = false;
  window.addEventListener("message", function (event) {
    // Only our own pages, in this very frame, may resize it.
    if (event.origin !== base || event.source !== frame.contentWindow) {
      return;
    }
    var data = event.data;
    if (!data || data.type !== "callmp:height" || typeof data.height !== "number") {
      return;
    }
    heard = true;
    frame.style.height = Math.min(Math.max(data.height, 120), 20000) + "px";
  });
  // A site not on the campaign's list gets a blocked frame, which never speaks: offer the
  // campaign's own page instead of an empty box.
  window.setTimeout(function () {
    if (!heard) {
      frame.hidden = true;
      frame.style.display = "none";
      link.hidden = false;
    }
  }, WAIT_MS);
})();
