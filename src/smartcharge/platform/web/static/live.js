// smartcharge owner web app: live parts of a page without reloading it.
// An element with data-stream="URL" takes the HTML fragments the server pushes there
// (server-sent events: sent only when what the fragment says changed). Where EventSource is
// missing, data-refresh="URL" is fetched every few seconds instead. Keyboard focus stays on
// the element (by id) it was on. A random delay's countdown runs here, from its end time, so
// the server need not push every second; the page's polite live region (#announce) reads out
// a socket's state when it changes, never the ticking seconds. No library, nothing from the
// internet.
(function () {
  "use strict";
  var PERIOD_MS = 3000;

  // Only what changed is replaced: a button that stays the same stays the same element, so a
  // press that spans an update (the meter's figures change every few seconds) is not lost
  // between the old button and its copy.
  function patch(old, fresh) {
    var olds = Array.prototype.slice.call(old.childNodes);
    var news = Array.prototype.slice.call(fresh.childNodes);
    news.forEach(function (n, i) {
      var o = olds[i];
      if (!o) { old.appendChild(n); return; }
      if (o.isEqualNode(n)) { return; }
      if (o.nodeType === 3 && n.nodeType === 3) { o.nodeValue = n.nodeValue; return; }
      if (o.nodeType !== 1 || o.nodeName !== n.nodeName) { old.replaceChild(n, o); return; }
      Array.prototype.slice.call(o.attributes).forEach(function (a) {
        if (!n.hasAttribute(a.name)) { o.removeAttribute(a.name); }
      });
      Array.prototype.forEach.call(n.attributes, function (a) {
        if (o.getAttribute(a.name) !== a.value) { o.setAttribute(a.name, a.value); }
      });
      patch(o, n);
    });
    olds.slice(news.length).forEach(function (o) { old.removeChild(o); });
  }

  function swap(el, html) {
    if (html === null || html === el.getAttribute("data-last")) { return; }
    var focused = document.activeElement && el.contains(document.activeElement)
      ? document.activeElement.id : null;
    var fresh = document.createElement(el.tagName);
    fresh.innerHTML = html;
    patch(el, fresh);
    el.setAttribute("data-last", html);
    el.setAttribute("data-updated", String(Date.now()));
    if (focused) {
      var again = document.getElementById(focused);
      if (again) { again.focus(); }
    }
    tick();
    announce();
  }

  function poll(el) {
    var url = el.getAttribute("data-refresh");
    if (!url) { return; }
    setInterval(function () {
      if (document.hidden) { return; }
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) {
          if (r.redirected || r.status === 401) { window.location.reload(); return null; }
          return r.ok ? r.text() : null;
        })
        .then(function (html) { swap(el, html); })
        .catch(function () { /* offline for a moment: try again at the next tick */ });
    }, PERIOD_MS);
  }

  function listen(el) {
    var source = new EventSource(el.getAttribute("data-stream"));
    source.addEventListener("update", function (e) { swap(el, e.data); });
    source.onerror = function () {
      // The browser reconnects by itself; a stream refused for good (login gone) is closed.
      if (source.readyState === EventSource.CLOSED) { poll(el); }
    };
  }

  function words(seconds) {
    var s = Math.max(0, Math.round(seconds));
    if (s >= 3600) { return Math.floor(s / 3600) + " h " + Math.floor(s % 3600 / 60) + " min"; }
    if (s >= 60) { return Math.floor(s / 60) + " min " + (s % 60) + " s"; }
    return s + " s";
  }

  function tick() {
    // Anchored to this browser's clock when the fragment arrived (the server's clock may differ).
    var now = Date.now();
    Array.prototype.forEach.call(document.querySelectorAll(".countdown[data-left]"), function (el) {
      if (!el.hasAttribute("data-ends")) {
        el.setAttribute("data-ends", String(now + Number(el.getAttribute("data-left")) * 1000));
      }
      el.textContent = words((Number(el.getAttribute("data-ends")) - now) / 1000);
    });
  }

  var lastSaid = null;
  function announce() {
    var region = document.getElementById("announce");
    if (!region) { return; }
    var said = Array.prototype.map.call(document.querySelectorAll(".connector"), function (c) {
      var title = c.querySelector("h2");
      var badge = c.querySelector(".state .badge");
      if (!title || !badge) { return ""; }
      var copy = badge.cloneNode(true);
      Array.prototype.forEach.call(copy.querySelectorAll(".countdown"), function (t) {
        t.textContent = "";  // the state, not the seconds
      });
      return title.textContent + ": " + copy.textContent;
    }).join(". ");
    if (lastSaid !== null && said !== lastSaid) { region.textContent = said; }
    lastSaid = said;
  }

  function start() {
    if ("serviceWorker" in navigator) {  // installable, and the last state shown offline
      navigator.serviceWorker.register("/app/static/sw.js", { scope: "/app" }).catch(function () {});
    }
    Array.prototype.forEach.call(document.querySelectorAll("[data-stream], [data-refresh]"), function (el) {
      el.setAttribute("data-last", el.innerHTML);
      if (el.hasAttribute("data-stream") && window.EventSource) { listen(el); } else { poll(el); }
    });
    announce();
    tick();
    setInterval(tick, 1000);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
