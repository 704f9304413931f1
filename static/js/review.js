// The review queue's live panel: listens on the /mod Socket.IO namespace for queue_item alerts,
// refreshes the list of urgent items waiting (also every 15 s, so waiting times stay current and
// nothing is missed while the socket reconnects), and announces new ones with an optional sound
// and a browser notification. No inline script (CSP script-src 'self').
(function () {
  "use strict";
  var page = document.querySelector(".review-page");
  if (!page) { return; }
  var panel = page.querySelector(".live-panel");
  var list = page.querySelector(".live-list");
  var sound = page.querySelector(".live-sound");
  var notify = page.querySelector(".live-notify");
  var seen = {};
  var first = true;
  panel.hidden = false;

  function beep() {
    try {
      var ctx = new (window.AudioContext || window.webkitAudioContext)();
      var osc = ctx.createOscillator();
      osc.frequency.value = 660;
      osc.connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.25);
    } catch (e) { /* no audio: the list still updates */ }
  }

  if (notify) {
    notify.addEventListener("click", function () {
      if ("Notification" in window) { Notification.requestPermission(); }
    });
  }

  function render(items) {
    list.textContent = "";
    var fresh = 0;
    items.forEach(function (item) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = page.dataset.itemUrl + "/" + item.id;
      a.textContent = "#" + item.id + " " + item.categories.join(", ") + " · " +
        Math.floor(item.age_s / 60) + " min";
      li.appendChild(a);
      list.appendChild(li);
      if (!seen[item.id]) { seen[item.id] = true; if (!first) { fresh += 1; } }
    });
    if (fresh) {
      if (sound && sound.checked) { beep(); }
      if ("Notification" in window && Notification.permission === "granted") {
        new Notification("Urgent item waiting in the review queue");
      }
    }
    first = false;
  }

  function poll() {
    fetch(page.dataset.pulseUrl, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { urgent: [] }; })
      .then(function (data) { render(data.urgent || []); })
      .catch(function () { /* offline for a moment: try again next time */ });
  }
  poll();
  setInterval(poll, 15000);
  if (window.io) {
    var socket = window.io("/mod", { transports: ["websocket", "polling"] });
    socket.on("queue_item", function () { poll(); });
    // Marks the panel as listening (tests wait on it; screen readers get nothing from it).
    socket.on("connect", function () { page.dataset.live = "1"; });
    socket.on("disconnect", function () { page.dataset.live = "0"; });
  }
}());
