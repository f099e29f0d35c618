// The region's live feed: an EventSource on the portal's relay of the subscriptions stream; each event is
// prepended to the list. Text only (textContent), never HTML from the event.
(function () {
  "use strict";
  var list = document.getElementById("live-events");
  var status = document.getElementById("live-status");
  if (!list || !status || !window.EventSource) { return; }
  var KEEP = 200;
  var locale = list.dataset.lang === "en" ? "en-GB" : "vi-VN";

  function say(state) {
    status.textContent = status.dataset[state] || "";
    status.className = "live-status " + state;
  }

  function summary(data) {
    var parts = [];
    ["name", "legal_name", "fair_name", "province_code", "fair_id", "status", "booth_codes", "total_vnd"].forEach(function (key) {
      var value = data && data[key];
      if (value === undefined || value === null || value === "") { return; }
      parts.push(key + ": " + (Array.isArray(value) ? value.join(", ") : String(value)));
    });
    return parts.slice(0, 4).join(" · ");
  }

  function show(message) {
    var cloud;
    try { cloud = JSON.parse(message.data); } catch (e) { cloud = {}; }
    var item = document.createElement("li");
    item.className = "live-event";
    var head = document.createElement("p");
    var name = document.createElement("code");
    name.textContent = message.type;
    var when = document.createElement("time");
    var at = cloud.time ? new Date(cloud.time) : new Date();
    when.dateTime = at.toISOString();
    when.textContent = at.toLocaleString(locale, { timeZone: "Asia/Ho_Chi_Minh" });
    head.appendChild(name);
    head.appendChild(document.createTextNode(" · "));
    head.appendChild(when);
    item.appendChild(head);
    var text = summary(cloud.data);
    if (text) {
      var detail = document.createElement("p");
      detail.className = "detail";
      detail.textContent = text;
      item.appendChild(detail);
    }
    if (cloud.subject) { item.dataset.subject = cloud.subject; }
    list.insertBefore(item, list.firstChild);
    while (list.children.length > KEEP) { list.removeChild(list.lastChild); }
  }

  say("connecting");
  var source = new EventSource(list.dataset.source);
  source.addEventListener("open", function () { say("open"); });
  source.addEventListener("error", function () {
    say(source.readyState === EventSource.CLOSED ? "closed" : "lost");
  });
  // Each message is named after its event (fair.published…): listen to every known name.
  (list.dataset.events || "").split(" ").forEach(function (type) {
    if (type) { source.addEventListener(type, show); }
  });
  source.addEventListener("message", show);
})();
