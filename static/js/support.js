// Talk to someone now, live (over the /chat Socket.IO namespace; every connection of an account
// hears its own user-<id> events). Two jobs, each only where its part of the page exists:
// - on-duty supporters (.support-alerts in the header): support_request alerts with an Accept
//   link, removed again on support_taken;
// - the member's waiting page (.support-request[data-request]): support_accepted takes them to
//   the private room, support_fallback or the page's own 3-minute timer shows the crisis lines,
//   and a status poll covers a socket that is away. No inline script (CSP).
(function () {
  "use strict";
  var alerts = document.querySelector(".support-alerts");
  var waiting = document.querySelector(".support-request[data-request]");
  if (!alerts && !waiting) { return; }

  function showAlert(item) {
    var list = alerts.querySelector(".support-alert-list");
    var id = String(item.id);
    if (list.querySelector('[data-id="' + id + '"]')) { return; }
    var li = document.createElement("li");
    li.className = "support-alert" + (item.urgent ? " support-alert-urgent" : "");
    li.dataset.id = id;
    var text = document.createElement("span");
    text.textContent = alerts.dataset.label.replace("{name}", item.pseudonym || "") +
      (item.urgent ? " · " + alerts.dataset.urgent : "") +
      " · " + alerts.dataset.minutes.replace("{n}", String(Math.floor((item.age_s || 0) / 60)));
    var link = document.createElement("a");
    link.className = "button support-accept";
    link.href = alerts.dataset.requestBase + id;
    link.textContent = alerts.dataset.accept;
    li.appendChild(text);
    li.appendChild(document.createTextNode(" "));
    li.appendChild(link);
    list.appendChild(li);
    alerts.hidden = false;
  }

  function dropAlert(id) {
    var li = alerts.querySelector('.support-alert[data-id="' + String(id) + '"]');
    if (li) { li.parentNode.removeChild(li); }
    if (!alerts.querySelector(".support-alert")) { alerts.hidden = true; }
  }

  var requestId = waiting ? Number(waiting.dataset.request) : null;
  var fallbackBox = waiting ? waiting.querySelector(".support-fallback") : null;
  var moved = false;

  function showFallback() {
    if (fallbackBox) { fallbackBox.hidden = false; }
  }

  function goToRoom(url) {
    if (moved) { return; }
    moved = true;
    var joined = waiting.querySelector(".support-joined");
    if (joined) {
      joined.querySelector("a").href = url;
      joined.hidden = false;
    }
    window.location.assign(url);
  }

  if (waiting && waiting.dataset.status === "open") {
    var left = Number(waiting.dataset.secondsLeft || "0");
    window.setTimeout(showFallback, Math.max(0, left) * 1000);
    var poll = window.setInterval(function () {
      fetch(waiting.dataset.statusUrl, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          if (data.status === "accepted" && data.room_url) {
            window.clearInterval(poll);
            goToRoom(data.room_url);
          } else if (data.status !== "open") {
            window.clearInterval(poll);
            window.location.reload();
          } else if (data.past_deadline) {
            showFallback();
          }
        })
        .catch(function () { /* offline for a moment: try again next time */ });
    }, 5000);
  }

  if (!window.io) { return; }
  var socket = window.io("/chat", { transports: ["websocket", "polling"] });
  // Marks the page as listening (screen readers get nothing from it; tests wait on it).
  var root = alerts || waiting;
  socket.on("connect", function () { root.dataset.live = "1"; });
  socket.on("disconnect", function () { root.dataset.live = "0"; });
  if (alerts) {
    socket.on("support_request", showAlert);
    socket.on("support_taken", function (data) { dropAlert(data.id); });
  }
  if (waiting) {
    socket.on("support_accepted", function (data) {
      if (data.id === requestId && data.room) {
        goToRoom(waiting.dataset.roomBase + "/" + encodeURIComponent(data.room));
      }
    });
    socket.on("support_fallback", function (data) {
      if (data.id === requestId) { showFallback(); }
    });
  }
}());
