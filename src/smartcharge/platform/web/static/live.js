// smartcharge owner web app: live parts of a page without reloading it.
// Every element with data-refresh="URL" is replaced every few seconds by the HTML fragment the
// server renders at URL (the same template the page was built with), only when it changed, and
// keyboard focus stays on the element (by id) it was on. No library, nothing from the internet.
(function () {
  "use strict";
  var PERIOD_MS = 3000;

  function refresh(el) {
    var url = el.getAttribute("data-refresh");
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) {
        if (r.redirected || r.status === 401) { window.location.reload(); return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (html) {
        if (html === null || html === el.getAttribute("data-last")) { return; }
        var focused = document.activeElement && el.contains(document.activeElement)
          ? document.activeElement.id : null;
        el.innerHTML = html;
        el.setAttribute("data-last", html);
        el.setAttribute("data-updated", String(Date.now()));
        if (focused) {
          var again = document.getElementById(focused);
          if (again) { again.focus(); }
        }
      })
      .catch(function () { /* offline for a moment: try again at the next tick */ });
  }

  function start() {
    var live = document.querySelectorAll("[data-refresh]");
    Array.prototype.forEach.call(live, function (el) {
      el.setAttribute("data-last", el.innerHTML);
      setInterval(function () { if (!document.hidden) { refresh(el); } }, PERIOD_MS);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
