// Booth pick: a free booth clicked on the map ticks (or unticks) its checkbox in the list, and the map follows
// the list. The list is the form; the map is a shortcut for those who would rather look than read.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var map = document.getElementById("pick-map");
    if (!map) { return; }
    function sync(code) {
      var box = document.getElementById("booth-" + code);
      var shape = map.querySelector('[data-code="' + code + '"]');
      if (box && shape) { shape.classList.toggle("chosen", box.checked); }
    }
    map.addEventListener("click", function (event) {
      var shape = event.target.closest("[data-code]");
      if (!shape) { return; }
      var box = document.getElementById("booth-" + shape.getAttribute("data-code"));
      if (!box || box.disabled) { return; }
      box.checked = !box.checked;
      sync(box.value);
    });
    document.querySelectorAll("input[name=booth_codes]").forEach(function (box) {
      box.addEventListener("change", function () { sync(box.value); });
      sync(box.value);
    });
  });
})();
