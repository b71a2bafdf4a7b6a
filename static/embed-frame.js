// Inside a partner's iframe: tell the partner's page (embed.js) how tall this page is, so
// the frame fits it without a scroll bar. Only a height is sent, so any parent may read it.
(function () {
  "use strict";
  if (window.parent === window) {
    return;
  }
  var last = 0;
  function send() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height !== last) {
      last = height;
      window.parent.postMessage({ type: "callmp:height", height: height }, "*");
    }
  }
  if ("ResizeObserver" in window) {
    new ResizeObserver(send).observe(document.documentElement);
  }
  window.addEventListener("load", send);
  send();
})();
