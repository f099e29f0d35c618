// Waiting for the market scheduler: ask the portal every second how the run is doing, then go to its result.
(function () {
  "use strict";
  var box = document.getElementById("plan-progress");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  var elapsed = document.getElementById("plan-elapsed");
  var english = document.documentElement.lang === "en";
  var failures = 0;

  function tick() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (res) { return res.json(); })
      .then(function (status) {
        failures = 0;
        if (status.state === "running") {
          if (elapsed) {
            elapsed.textContent = (english ? "Running for " : "Đã chạy ") + status.elapsed_s + (english ? " s" : " giây");
          }
          window.setTimeout(tick, 1000);
        } else if (status.next) {
          window.location.assign(status.next);
        } else {
          window.location.reload();
        }
      })
      .catch(function () {
        failures += 1;
        window.setTimeout(tick, Math.min(10000, 1000 * (failures + 1)));
      });
  }
  window.setTimeout(tick, 700);
})();
