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

  // Field labels, province names and state names come from the page, in its language.
  var labels = { fields: [], provinces: {}, statuses: {} };
  var block = document.getElementById("live-labels");
  try { if (block) { labels = JSON.parse(block.textContent); } } catch (e) { /* raw keys, then */ }

  function readable(key, value) {
    if (Array.isArray(value)) { return value.join(", "); }
    if (key === "province_code") { return labels.provinces[value] || String(value); }
    if (key === "status") { return labels.statuses[value] || String(value).replace(/_/g, " "); }
    if (key === "total_vnd" && typeof value === "number") { return value.toLocaleString("vi-VN") + "\u00a0₫"; }
    return String(value);
  }

  function summary(data) {
    var parts = [];
    labels.fields.forEach(function (field) {
      var value = data && data[field[0]];
      if (value === undefined || value === null || value === "") { return; }
      parts.push(field[1] + ": " + readable(field[0], value));
    });
    return parts.slice(0, 4).join(" · ");
  }

  function show(message) {
    var cloud;
    try { cloud = JSON.parse(message.data); } catch (e) { cloud = {}; }
    var item = document.createElement("li");
    item.className = "live-event";
    var head = document.createElement("p");
    var name = document.createElement("strong");
    name.textContent = (labels.events && labels.events[message.type]) || message.type;  /* the event in words */
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
