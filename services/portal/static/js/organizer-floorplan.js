/* The organizer's live floor plan: listens to the portal's relay of the booths service's Server-Sent
   Events and reloads the map image when booths change. Plain JS, no inline code (CSP script-src 'self'). */
(function () {
  "use strict";
  var map = document.getElementById("live-map");
  if (!map || !window.EventSource) { return; }
  var status = document.getElementById("live-status");
  var base = map.getAttribute("src").split("?")[0];
  var version = 0;
  var pending = null;
  var changed = 0;
  var connectedOnce = false;

  function say(text) { if (status && text) { status.textContent = text; } }

  function reload() {
    pending = null;
    version += 1;
    map.setAttribute("src", base + "?v=" + Date.now());
    map.setAttribute("data-version", String(version));
    var template = status ? status.getAttribute("data-updated") || "" : "";
    say(template.replace("{time}", new Date().toLocaleTimeString()).replace("{n}", String(changed)));
    changed = 0;
  }

  function soon() {  /* an allocation sends many events at once: one reload for them all */
    if (pending === null) { pending = window.setTimeout(reload, 300); }
  }

  var source = new EventSource(map.getAttribute("data-live"));
  source.addEventListener("ready", function () {
    if (connectedOnce) { soon(); } else { say(status && status.getAttribute("data-connected")); }
    connectedOnce = true;  /* after a reconnection messages may have been lost: reload */
  });
  source.addEventListener("booths", function (event) {
    try { changed += Object.keys(JSON.parse(event.data).booths || {}).length; } catch (e) { changed += 1; }
    soon();
  });
  source.addEventListener("error", function () { say(status && status.getAttribute("data-lost")); });
  window.addEventListener("pagehide", function () { source.close(); });
}());
