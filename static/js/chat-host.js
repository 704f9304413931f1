// Facilitator tools on a room's page (loaded only for facilitators; the server checks every
// action again): open/close, lock, waiting room and its knock list, slow mode, announcements,
// end the meeting, and per-message pin / mute / remove. Crisis alerts for this room appear
// right above the composer, without the message's text. No inline script (CSP).
(function () {
  "use strict";
  var panel = document.querySelector(".chat-panel");
  if (!panel) { return; }
  // The tools are folded (a <details>) so a phone opens on the conversation; a wide screen has
  // room for them beside it. The width matches the side-by-side layout in forum.css.
  var fold = panel.querySelector(".chat-panel-toggle");
  if (window.matchMedia && window.matchMedia("(min-width: 47.5rem)").matches) { fold.open = true; }
  var chat = window.forumChat;
  if (!chat) { return; }
  var socket = chat.socket;
  var slug = chat.slug;
  var words = panel.dataset;
  var panelStatus = panel.querySelector(".chat-panel-status");
  // While the tools are folded, their answers (to a pin, mute or remove from the log) and the
  // knocks show in the dock above the composer instead.
  var dockStatus = document.querySelector(".chat-host-status");
  var knockCount = document.querySelector(".chat-knock-count");
  var knockShow = document.querySelector(".chat-knock-show");
  var knockList = panel.querySelector(".chat-knocks");
  var alerts = document.querySelector(".chat-alerts");
  var composer = document.getElementById("chat-text");
  var lock = panel.querySelector(".chat-lock");
  var waitingToggle = panel.querySelector(".chat-waiting-toggle");
  var slowSelect = panel.querySelector(".chat-slow-mode");
  var muteMinutes = panel.querySelector(".chat-mute-minutes");
  var announceForm = panel.querySelector(".chat-announce");
  var announceText = announceForm.querySelector("textarea");
  var announceError = announceForm.querySelector(".chat-announce-error");
  var openButton = panel.querySelector("[data-action=room_open]");
  var closeButton = panel.querySelector("[data-action=room_close]");
  var ANSWER_MS = 10000;

  // "Done." only once every action sent has been answered, so an earlier action's answer
  // never reads as the confirmation of one still on its way; a refusal stays shown until
  // everything sent has been answered. With a timeout the callback runs exactly once, also
  // when the connection drops on the way.
  var pending = 0;
  var problem = null;  // what went wrong since everything sent was last answered
  var shown = "";

  function showStatus(text) {
    shown = text;
    panelStatus.textContent = fold.open ? text : "";
    dockStatus.textContent = fold.open ? "" : text;
  }

  function showKnockCount() {
    var n = knockList.querySelectorAll("li[data-knock]").length;
    knockCount.textContent = n && !fold.open ? words.lKnockCount.replace("{n}", n) : "";
    knockShow.hidden = !n || fold.open;
  }

  function tool(event, data, done) {
    data.room = slug;
    if (pending === 0) { problem = null; }
    pending += 1;
    if (problem === null) { showStatus(words.lSaving); }
    socket.timeout(ANSWER_MS).emit(event, data, function (err, ack) {
      pending -= 1;
      if (err) {
        ack = null;
        problem = words.lNotSaved;
      } else if (!(ack && ack.ok)) {
        problem = (ack && ack.message) || "";
      }
      if (problem !== null) {
        showStatus(problem);
      } else if (pending === 0) {
        showStatus(words.lDone);
      }
      if (ack && ack.ok && ack.controls) { showControls(ack.controls); }
      if (done) { done(ack || {}); }
    });
  }

  function showControls(c) {
    lock.checked = !!c.locked;
    waitingToggle.checked = !!c.waiting_room;
    slowSelect.value = String(c.slow_mode || 0);
    openButton.hidden = !!c.open;
    closeButton.hidden = !c.open;
  }

  function button(label, cls, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = cls;
    b.textContent = label;
    b.addEventListener("click", onClick);
    return b;
  }

  // A knock is named by its opaque token (never an account id): found by comparing the
  // dataset, so no token is ever pasted into a selector.
  function knockItem(token) {
    var items = knockList.querySelectorAll("li[data-knock]");
    for (var i = 0; i < items.length; i += 1) {
      if (items[i].dataset.knock === token) { return items[i]; }
    }
    return null;
  }

  function emptyNote() {
    if (!knockList.querySelector("li[data-knock]")) {
      knockList.textContent = "";
      var li = document.createElement("li");
      li.className = "chat-knocks-empty";
      li.textContent = words.lNoneWaiting;
      knockList.appendChild(li);
    }
    showKnockCount();
  }

  function dropKnock(token) {
    var li = knockItem(token);
    if (li) { li.remove(); }
    emptyNote();
  }

  function addKnock(k) {
    if (k.room !== slug || typeof k.token !== "string" || knockItem(k.token)) { return; }
    var none = knockList.querySelector(".chat-knocks-empty");
    if (none) { none.remove(); }
    var li = document.createElement("li");
    li.dataset.knock = k.token;
    var name = document.createElement("span");
    name.className = "chat-knock-name";
    name.textContent = k.pseudonym;
    li.appendChild(name);
    li.appendChild(button(words.lAdmit, "", function () {
      tool("admit", { token: k.token }, function (ack) { if (ack.ok) { dropKnock(k.token); } });
    }));
    li.appendChild(button(words.lDecline, "secondary", function () {
      tool("decline", { token: k.token }, function (ack) {
        if (ack.ok) { dropKnock(k.token); }
      });
    }));
    knockList.appendChild(li);
    showKnockCount();
  }

  function addMessageTools(li, msg) {
    if (li.querySelector(".chat-tools") || msg.state !== "published") { return; }
    var tools = document.createElement("span");
    tools.className = "chat-tools";
    tools.appendChild(button(words.lPin, "link-button", function () {
      tool("pin", { message_id: msg.id });
    }));
    if (msg.kind !== "announcement" && !li.classList.contains("chat-own")) {
      tools.appendChild(button(words.lMute, "link-button", function () {
        tool("mute", { message_id: msg.id, minutes: Number(muteMinutes.value) });
      }));
      tools.appendChild(button(words.lRemove, "link-button", function () {
        if (window.confirm(words.lConfirmRemove)) { tool("remove", { message_id: msg.id }); }
      }));
    }
    li.appendChild(tools);
  }

  chat.hooks.join.push(function (ack) {
    knockList.textContent = "";
    (ack.knocks || []).forEach(addKnock);
    emptyNote();
    showControls(ack.controls);
  });
  chat.hooks.render.push(addMessageTools);

  socket.on("knock", addKnock);
  socket.on("knock_resolved", function (data) {
    if (data.room === slug) { dropKnock(data.token); }
  });
  socket.on("room_state", function (data) { if (data.room === slug) { showControls(data); } });
  socket.on("room_closed", function (data) {
    if (data.room !== slug) { return; }
    showControls({ open: false, locked: false, waiting_room: waitingToggle.checked,
                   slow_mode: 0 });
    knockList.textContent = "";
    emptyNote();
  });
  socket.on("facilitator_alert", function (data) {
    if (data.room !== slug) { return; }
    var box = document.createElement("div");
    box.className = "chat-alert";
    var p = document.createElement("p");
    p.textContent = words.lAlert.replace("{author}", data.author).replace("{id}", data.message_id);
    box.appendChild(p);
    box.appendChild(button(words.lDismiss, "secondary chat-alert-dismiss", function () {
      box.remove();
      // The button is gone: focus goes back to where the facilitator was writing.
      if (composer) { composer.focus(); }
    }));
    alerts.appendChild(box);
    // The dock sticks to the bottom of the screen; should the page be scrolled past it (into
    // the tools on a phone), it comes back into view with the alert, unless that would pull
    // an announcement being written out of sight.
    var typing = document.activeElement;
    if (!(typing && typing.tagName === "TEXTAREA" && panel.contains(typing))) {
      box.scrollIntoView({ block: "nearest" });
    }
  });

  fold.addEventListener("toggle", function () {
    showStatus(shown);
    showKnockCount();
  });
  knockShow.addEventListener("click", function () {
    fold.open = true;
    var title = document.getElementById("chat-knocks-title");
    title.scrollIntoView({ block: "start" });
    var first = knockList.querySelector("li[data-knock] button");
    if (first) { first.focus(); }
  });

  openButton.addEventListener("click", function () {
    tool("room_open", {}, function (ack) {
      // A page served while the room was closed has no message form: load it afresh.
      if (ack.ok && document.querySelector(".chat-closed-notice")) { window.location.reload(); }
      else if (ack.ok) { chat.join(); }
    });
  });
  closeButton.addEventListener("click", function () { tool("room_close", {}); });
  panel.querySelector("[data-action=end_meeting]").addEventListener("click", function () {
    if (window.confirm(words.lConfirmEnd)) { tool("end_meeting", {}); }
  });
  lock.addEventListener("change", function () {
    tool(lock.checked ? "room_lock" : "room_unlock", {});
  });
  waitingToggle.addEventListener("change", function () {
    tool("waiting_room", { on: waitingToggle.checked });
  });
  slowSelect.addEventListener("change", function () {
    tool("slow_mode", { seconds: Number(slowSelect.value) });
  });
  announceForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = announceText.value;
    if (!text.trim()) { return; }
    announceError.textContent = "";
    announceText.value = "";
    tool("announce", { text: text }, function (ack) {
      if (!ack.ok) {
        // Refused: the text comes back to edit, nothing is lost.
        if (!announceText.value && typeof ack.text === "string") { announceText.value = ack.text; }
        announceError.textContent = ack.message || "";
      }
    });
  });
  emptyNote();
}());
