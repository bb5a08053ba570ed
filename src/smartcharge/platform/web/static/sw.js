// smartcharge owner web app: the service worker that makes it installable and usable offline.
// The shell (stylesheet, script, icon) is kept on install. Each page is fetched from the
// platform first and a copy kept; with no network, the last copy of that page is shown with a
// notice saying when it was fetched, so the owner sees the last known state. Forms, pushed
// updates and anything not a page or the shell always go to the network. Logging out (the
// login page) forgets every kept page.
"use strict";
var SHELL = "smartcharge-shell-v1";
var PAGES = "smartcharge-pages-v1";
var SHELL_FILES = ["/app/static/app.css", "/app/static/live.js", "/app/static/icon.svg"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (c) { return c.addAll(SHELL_FILES); }));
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

function offline(copy) {
  return copy.text().then(function (html) {
    var when = copy.headers.get("x-kept-at") || "";
    var notice = '<p class="note bad" role="alert">You are offline: this is what the platform ' +
      "showed at " + when + ". Nothing can be changed until the network is back.</p>";
    return new Response(html.replace('<main id="main">', '<main id="main">' + notice), {
      headers: { "Content-Type": "text/html; charset=utf-8" }
    });
  });
}

function keep(request, response) {
  var copy = response.clone();
  return copy.text().then(function (html) {
    var kept = new Response(html, { headers: {
      "Content-Type": "text/html; charset=utf-8",
      "x-kept-at": new Date().toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" })
    } });
    return caches.open(PAGES).then(function (c) { return c.put(request, kept); });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) { return; }
  if (SHELL_FILES.indexOf(url.pathname) >= 0) {
    event.respondWith(fetch(request).catch(function () { return caches.match(request); }));
    return;
  }
  if (request.mode !== "navigate") { return; }  // streams, fragments, downloads: network only
  event.respondWith(
    fetch(request).then(function (response) {
      if (url.pathname === "/app/login") {
        event.waitUntil(caches.delete(PAGES));
      } else if (response.ok && !response.redirected) {
        event.waitUntil(keep(request, response));
      }
      return response;
    }).catch(function () {
      return caches.open(PAGES).then(function (c) { return c.match(request); }).then(function (copy) {
        return copy ? offline(copy) : new Response(
          "<!doctype html><html lang=\"en-GB\"><title>Offline · smartcharge</title>" +
          "<main><h1>You are offline</h1><p>This page was not opened before, so there is " +
          "nothing to show. It will load when the network is back.</p></main></html>",
          { headers: { "Content-Type": "text/html; charset=utf-8" } });
      });
    })
  );
});
