// Profile form: when the province changes, list that province's communes (from the portal) in the commune select.
// Without this script the form has a button that reloads the page with the communes instead.
(function () {
  "use strict";
  function fill(select, rows, emptyLabel) {
    while (select.options.length) { select.remove(0); }
    select.add(new Option(emptyLabel, ""));
    rows.forEach(function (row) { select.add(new Option(row.name, row.code)); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var province = document.querySelector("select[data-communes]");
    if (!province) { return; }
    var commune = document.getElementById(province.getAttribute("data-communes"));
    document.querySelectorAll(".js-hide").forEach(function (el) { el.hidden = true; });
    var emptyLabel = commune.options.length ? commune.options[0].text : "";
    function load() {
      if (!province.value) { fill(commune, [], emptyLabel); return; }
      commune.disabled = true;
      fetch("/me/communes?province=" + encodeURIComponent(province.value), {credentials: "same-origin"})
        .then(function (res) { return res.ok ? res.json() : []; })
        .then(function (rows) { fill(commune, rows, document.documentElement.lang === "en" ? "– Choose a commune –" : "– Chọn xã, phường –"); })
        .catch(function () { document.querySelectorAll(".js-hide").forEach(function (el) { el.hidden = false; }); })
        .finally(function () { commune.disabled = false; });
    }
    province.addEventListener("change", load);
    // A province chosen before this script ran (a quick hand, a slow page) fired its change event unheard.
    if (province.value && commune.options.length <= 1) { load(); }
  });
})();
