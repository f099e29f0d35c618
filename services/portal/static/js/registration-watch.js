// A registration awaiting the organizer: every 30 s (data-every-ms, the portal's setting) ask the portal for its state (a few bytes, not the page)
// and reload the page once it changed. Stops when the state is no longer a waiting one; skips ticks while
// the tab is hidden; backs off when the connection fails.
(function () {
  "use strict";
  var box = document.getElementById("registration-state");
  if (!box) { return; }
  var url = box.getAttribute("data-watch");
  var seen = box.getAttribute("data-status") + "/" + (box.getAttribute("data-position") || "");
  var WAITING = ["submitted", "waitlisted"];
  var EVERY_MS = parseInt(box.getAttribute("data-every-ms"), 10) || 30000;
  var failures = 0;

  function later(ms) { window.setTimeout(tick, ms); }

  function tick() {
    if (document.hidden) { later(EVERY_MS); return; }
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (res) { if (!res.ok) { throw new Error(String(res.status)); } return res.json(); })
      .then(function (state) {
        failures = 0;
        var now = state.status + "/" + (state.waitlist_position === null || state.waitlist_position === undefined
          ? "" : state.waitlist_position);
        if (now !== seen) { window.location.reload(); return; }
        if (WAITING.indexOf(state.status) >= 0) { later(EVERY_MS); }
      })
      .catch(function () {
        failures += 1;
        if (failures < 10) { later(EVERY_MS * Math.min(failures + 1, 4)); }
      });
  }

  if (WAITING.indexOf(box.getAttribute("data-status")) >= 0) { later(EVERY_MS); }
})();
