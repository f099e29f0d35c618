/* The organizer's live floor plan. The map is the booths service's SVG inlined by the portal (each booth a
   focusable <g data-code data-status [data-registration]>); the forms below it are the real thing and work
   without this script. With it:
   - a click on a booth (or Enter/Space on a focused booth) fills the form of the chosen operation: booth codes
     for assign/block/unblock and the move's targets; an assigned booth pre-selects its registration (the move's
     and release's registration, the swap's first then second exhibitor). The map shows what the forms hold.
   - the portal's relay of the booths service's Server-Sent Events makes it fetch the map again when booths
     change (the counts follow); the selection, read from the forms, survives.
   Plain JS, no inline code (CSP script-src 'self'). */
(function () {
  "use strict";
  var box = document.getElementById("live-map");
  if (!box) { return; }
  var status = document.getElementById("live-status");
  var picker = document.getElementById("map-mode");
  var said = document.getElementById("map-said");
  /* What a click does in each mode: which booths it takes and which fields it fills. */
  var MODES = {
    assign: { codes: "assign-booth_codes", takes: "free" },
    move: { source: "move-registration_id", codes: "move-booth_codes", takes: "free" },
    swap: { source: "swap-first", target: "swap-second" },
    release: { source: "release-registration_id" },
    block: { codes: "block-booth_codes", takes: "free" },
    unblock: { codes: "unblock-booth_codes", takes: "blocked" }
  };
  var mode = "assign";

  function field(id) { return id ? document.getElementById(id) : null; }
  function text(name, values) {
    var template = (picker && picker.getAttribute("data-" + name)) || "";
    Object.keys(values).forEach(function (key) { template = template.split("{" + key + "}").join(values[key]); });
    return template;
  }
  function tell(message) { if (said) { said.textContent = message; } }
  function labelOf(input) {
    var label = input && document.querySelector('label[for="' + input.id + '"]');
    return label ? label.textContent.replace(/\s*\(.*\)\s*$/, "").trim() : "";
  }
  function codesIn(input) {
    return input ? input.value.split(/[\s,;]+/).filter(function (c) { return c !== ""; }) : [];
  }
  function booths() { return box.querySelectorAll("[data-code]"); }
  function statusName(booth) {  /* "A03, Đã xếp, HTX …" → "Đã xếp" */
    var parts = (booth.getAttribute("aria-label") || "").split(", ");
    return parts.length > 1 ? parts[1] : booth.getAttribute("data-status");
  }

  /* The map shows what the current mode's fields hold. */
  function paint() {
    var spec = MODES[mode];
    var codes = codesIn(field(spec.codes));
    var source = field(spec.source);
    var target = field(spec.target);
    booths().forEach(function (booth) {
      var reg = booth.getAttribute("data-registration");
      var isSource = !!(reg && source && source.value === reg);
      var isTarget = codes.indexOf(booth.getAttribute("data-code")) >= 0 || !!(reg && target && target.value === reg);
      booth.classList.toggle("picked-source", isSource);
      booth.classList.toggle("picked-target", isTarget);
      booth.setAttribute("aria-pressed", String(isSource || isTarget));
    });
  }

  function toggleCode(input, code) {
    var codes = codesIn(input);
    var at = codes.indexOf(code);
    if (at >= 0) { codes.splice(at, 1); } else { codes.push(code); }
    input.value = codes.join(", ");
    tell(text(at >= 0 ? "removed" : "added", { code: code, field: labelOf(input) }));
  }

  function choose(select, booth) {  /* an assigned booth's registration into a <select> of the forms */
    var reg = booth.getAttribute("data-registration");
    var code = booth.getAttribute("data-code");
    var option = Array.prototype.filter.call(select.options, function (o) { return o.value === reg; })[0];
    if (!option) { tell(text("missing", { code: code, field: labelOf(select) })); return false; }
    select.value = reg;
    tell(text("chose", { name: option.textContent.trim(), code: code, field: labelOf(select) }));
    return true;
  }

  function pick(booth) {
    var spec = MODES[mode];
    var code = booth.getAttribute("data-code");
    var state = booth.getAttribute("data-status");
    var reg = booth.getAttribute("data-registration");
    var source = field(spec.source);
    var target = field(spec.target);
    var codes = field(spec.codes);
    if (source && state === "assigned" && reg) {
      if (target && source.value && source.value !== reg && !target.value) {
        choose(target, booth);  /* the swap's second click: the other exhibitor */
      } else {
        var changed = source.value !== reg;
        if (choose(source, booth)) {
          if (target) { target.value = ""; }
          if (codes && changed) { codes.value = ""; }  /* a new source: its targets start again */
        }
      }
    } else if (codes && state === spec.takes) {
      if (source && !source.value) { tell(text("source-first", {})); } else { toggleCode(codes, code); }
    } else {
      tell(text("wrong", { code: code, status: statusName(booth) }));
    }
    paint();
  }

  function setMode(next, fromPicker) {
    if (!MODES[next] || next === mode) { return; }
    mode = next;
    if (!fromPicker && picker) {
      var radio = picker.querySelector('input[value="' + next + '"]');
      if (radio) { radio.checked = true; }
    }
    paint();
  }

  if (picker && box.querySelector("[data-code]")) {
    picker.hidden = false;
    picker.addEventListener("change", function (event) {
      if (event.target.name === "map-mode") { setMode(event.target.value, true); }
    });
    box.addEventListener("click", function (event) {
      var booth = event.target.closest && event.target.closest("[data-code]");
      if (booth && box.contains(booth)) { pick(booth); }
    });
    box.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" && event.key !== " " && event.key !== "Spacebar") { return; }
      var booth = event.target.closest && event.target.closest("[data-code]");
      if (booth && box.contains(booth)) { event.preventDefault(); pick(booth); }
    });
    Object.keys(MODES).forEach(function (name) {
      var form = document.getElementById(name);
      if (!form) { return; }
      form.addEventListener("focusin", function () { setMode(name, false); });  /* the form in use leads */
      form.addEventListener("input", paint);
      form.addEventListener("change", paint);
    });
    paint();
  }

  /* ---- live updates ---- */
  if (!window.EventSource) { return; }
  var version = 0;
  var pending = null;
  var changed = 0;
  var connectedOnce = false;

  function say(message) { if (status && message) { status.textContent = message; } }

  function recount() {
    var counts = { total: 0, free: 0, held: 0, assigned: 0, blocked: 0 };
    booths().forEach(function (booth) {
      counts.total += 1;
      var state = booth.getAttribute("data-status");
      if (state in counts) { counts[state] += 1; }
    });
    Object.keys(counts).forEach(function (key) {
      var cell = document.querySelector('.counts-list [data-count="' + key + '"]');
      if (cell) { cell.textContent = String(counts[key]); }
    });
  }

  function updated() {
    version += 1;
    box.setAttribute("data-version", String(version));
    var template = status ? status.getAttribute("data-updated") || "" : "";
    say(template.replace("{time}", new Date().toLocaleTimeString()).replace("{n}", String(changed)));
    changed = 0;
  }

  function reload() {
    pending = null;
    var url = box.getAttribute("data-map");
    if (!url) {  /* the plain image when the drawing could not be inlined */
      var img = box.querySelector("img");
      if (img) { img.setAttribute("src", img.getAttribute("src").split("?")[0] + "?v=" + Date.now()); }
      updated();
      return;
    }
    window.fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (res) { return res.ok ? res.text() : Promise.reject(res.status); })
      .then(function (html) {
        if (html.trim().indexOf("<svg") !== 0) { return Promise.reject("not a map"); }
        var focused = document.activeElement;
        var code = focused && box.contains(focused) ? focused.getAttribute("data-code") : null;
        box.innerHTML = html;
        paint();
        recount();
        if (code) {
          var again = box.querySelector('[data-code="' + code.replace(/["\\]/g, "") + '"]');
          if (again) { again.focus(); }
        }
        updated();
      })
      .catch(function () { say(status && status.getAttribute("data-lost")); });
  }

  function soon() {  /* an allocation sends many events at once: one reload for them all */
    if (pending === null) { pending = window.setTimeout(reload, 300); }
  }

  var stream = new EventSource(box.getAttribute("data-live"));
  stream.addEventListener("ready", function () {
    if (connectedOnce) { soon(); } else { say(status && status.getAttribute("data-connected")); }
    connectedOnce = true;  /* after a reconnection messages may have been lost: reload */
  });
  stream.addEventListener("booths", function (event) {
    try { changed += Object.keys(JSON.parse(event.data).booths || {}).length; } catch (e) { changed += 1; }
    soon();
  });
  stream.addEventListener("error", function () { say(status && status.getAttribute("data-lost")); });
  window.addEventListener("pagehide", function () { stream.close(); });
}());
