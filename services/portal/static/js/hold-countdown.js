// Booth pick: count down the hold's remaining time; when it runs out, say so and disable the confirm button.
(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector("[data-hold-expires]");
    if (!box) { return; }
    var ends = Date.parse(box.getAttribute("data-hold-expires"));
    var left = box.querySelector("[data-left]");
    var expired = document.getElementById("hold-expired");
    var confirm = document.getElementById("confirm-hold");
    if (isNaN(ends) || !left) { return; }
    var announced = {};
    function tick() {
      var seconds = Math.max(0, Math.round((ends - Date.now()) / 1000));
      left.textContent = Math.floor(seconds / 60) + ":" + pad(seconds % 60);
      box.classList.toggle("urgent", seconds <= 60);
      // Screen readers hear the time at a few moments only, not every second.
      [300, 120, 60, 30].forEach(function (mark) {
        if (seconds <= mark && seconds > mark - 5 && !announced[mark]) {
          announced[mark] = true;
          var live = document.getElementById("hold-live");
          if (live) { live.textContent = left.textContent; }
        }
      });
      if (seconds === 0) {
        if (expired) { expired.hidden = false; }
        if (confirm) { confirm.disabled = true; }
        return;
      }
      window.setTimeout(tick, 1000);
    }
    tick();
  });
})();
