// A chat room's live page (DESIGN.md 3.4): connects to /chat, joins the room, renders history,
// sends with a client_id so a resend after a dropped connection stores nothing twice, and on
// reconnect rejoins and syncs from the last message id seen. While the forum's database is
// briefly away (a restart) the server answers `unavailable`: a message stays "Sending…" and is
// sent again with its client_id for up to 30 s, a join or sync is asked again, before anything
// is shown as an error. Also the room's controls as a
// member sees them: the pinned message, announcements, the waiting room, slow mode, mutes,
// removal and closing. Facilitator tools are in chat-host.js. No inline script (CSP).
(function () {
  "use strict";
  var page = document.querySelector(".chat-room");
  if (!page || !window.io) { return; }
  var slug = page.dataset.room;
  var log = page.querySelector(".chat-log");
  var form = page.querySelector(".chat-form");
  var textarea = form ? form.querySelector("textarea") : null;
  var errorBox = form ? form.querySelector(".chat-error") : null;
  var connection = page.querySelector(".chat-connection");
  var presence = page.querySelector(".chat-presence");
  var supportBox = page.querySelector(".chat-support");
  var labels = log.dataset;
  var words = page.dataset;
  var notice = page.querySelector(".chat-notice");
  var knockAgain = page.querySelector(".chat-knock-again");
  var pinnedBox = page.querySelector(".chat-pinned");
  var slowBox = page.querySelector(".chat-slow");
  var sendButton = form ? form.querySelector("button[type=submit]") : null;
  var isHost = page.dataset.facilitator === "true";
  var slowMode = Number(page.dataset.slowMode) || 0;
  var lastId = 0;
  var byId = {};
  var pending = {};   // client_id -> {text, li, since, tries, timer}, until the server acknowledges
  // An `unavailable` send is tried again for this long from its first try, waiting longer each
  // time (up to RETRY_MAX_MS), before the text goes back to the box.
  var RETRY_FOR_MS = 30000;
  var RETRY_MAX_MS = 5000;
  var joinTries = 0;
  var joinSince = 0;
  var connectTries = 0;
  // The last refused text and its client_id: sent again unchanged, it keeps that id, so a
  // risk message the server kept for review when it was refused is not screened twice.
  var refused = null;
  var joined = false;
  var shut = false;   // closed, ended or removed: stop rejoining until the page is reloaded
  var waitUntil = 0;  // slow mode: when this member may send again (ms)
  var waitTimer = null;
  var mutedUntil = 0; // a facilitator's mute in this room: Send stays off until then (ms)
  var muteTimer = null;
  // The member's own time zone (their account's), named beside every time shown.
  var zone = page.dataset.timezone || "UTC";
  // chat-host.js hooks in here: it sees each join ack and each rendered message.
  var hooks = { join: [], render: [] };

  function newClientId() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  }

  function setState(li, state) {
    li.dataset.state = state;
    var marker = li.querySelector(".chat-state");
    marker.textContent = { pending: labels.pending, held: labels.held, failed: labels.failed }[state] || "";
    li.classList.toggle("chat-held", state === "held");
    li.classList.toggle("chat-pending", state === "pending");
    li.classList.toggle("chat-failed", state === "failed");
  }

  function buildItem(author) {
    var li = document.createElement("li");
    li.className = "chat-message";
    var who = document.createElement("span");
    who.className = "chat-author";
    who.textContent = author;
    var body = document.createElement("div");
    body.className = "chat-text";
    var marker = document.createElement("span");
    marker.className = "chat-state";
    li.appendChild(who);
    li.appendChild(body);
    li.appendChild(marker);
    return li;
  }

  // The author's generated avatar, before their name: decorative (alt=""), the name says who.
  // Only a path on this site of the avatars route's shape is used, whatever the payload holds.
  var AVATAR = /^\/avatars\/[A-Za-z0-9_-]+\.svg$/;
  function setAvatar(li, src) {
    var img = li.querySelector(".avatar");
    if (!src || !AVATAR.test(src)) {
      if (img) { img.parentNode.removeChild(img); }
      return;
    }
    if (!img) {
      img = document.createElement("img");
      img.className = "avatar";
      img.alt = "";
      img.width = 24;
      img.height = 24;
      li.insertBefore(img, li.querySelector(".chat-author"));
    }
    if (img.getAttribute("src") !== src) { img.setAttribute("src", src); }
  }

  // A staff badge beside the author (the payload's badge: admin, moderator or facilitator;
  // never in an anonymous room). Text from the page's own labels, never from the payload.
  function setBadge(li, badge) {
    var tag = li.querySelector(".staff-badge");
    var key = "badge" + (badge ? badge.charAt(0).toUpperCase() + badge.slice(1) : "");
    var text = badge && Object.prototype.hasOwnProperty.call(labels, key) ? labels[key] : "";
    if (!text) {
      if (tag) { tag.parentNode.removeChild(tag); }
      return;
    }
    if (!tag) {
      tag = document.createElement("span");
      tag.className = "staff-badge";
      var who = li.querySelector(".chat-author");
      who.parentNode.insertBefore(tag, who.nextSibling);
    }
    tag.textContent = text;
  }

  // A crisis or overdose message (the payload's note) is folded behind a content note for
  // everyone but its writer. The note's words come from the page, never from the payload.
  function foldBehindNote(box, note, own) {
    var key = "note" + String(note || "").replace(/(^|-)([a-z])/g, function (m, dash, c) {
      return c.toUpperCase();
    });
    var text = note && !own && Object.prototype.hasOwnProperty.call(labels, key) ? labels[key] : "";
    if (!text) { return; }
    var details = document.createElement("details");
    details.className = "content-note auto-note";
    var summary = document.createElement("summary");
    summary.textContent = text;
    details.appendChild(summary);
    while (box.firstChild) { details.appendChild(box.firstChild); }
    box.appendChild(details);
  }

  function place(li, id) {
    // Keep the log in id order; messages still pending (no id) stay at the end.
    var children = log.children;
    for (var i = 0; i < children.length; i += 1) {
      var other = children[i];
      if (other !== li && (!other.dataset.id || Number(other.dataset.id) > id)) {
        log.insertBefore(li, other);
        return;
      }
    }
    log.appendChild(li);
  }

  function render(msg) {
    if (byId[msg.id]) {
      if (msg.state) { setState(byId[msg.id], msg.state); }
      return;
    }
    var mine = pending[msg.client_id];
    var li = mine ? mine.li : buildItem(msg.author);
    if (mine) { delete pending[msg.client_id]; li.classList.add("chat-own"); }
    li.querySelector(".chat-author").textContent = msg.author;
    setAvatar(li, msg.avatar);
    setBadge(li, msg.badge);
    // text_html is rendered and sanitized on the server (the same sanitizer as posts).
    li.querySelector(".chat-text").innerHTML = msg.text_html;
    foldBehindNote(li.querySelector(".chat-text"), msg.note, Boolean(mine));
    li.dataset.id = msg.id;
    li.dataset.clientId = msg.client_id;
    if (msg.kind === "announcement" && !li.classList.contains("chat-announcement")) {
      li.classList.add("chat-announcement");
      var tag = document.createElement("strong");
      tag.className = "chat-tag";
      tag.textContent = words.lAnnouncement + ": ";
      li.insertBefore(tag, li.firstChild);
    }
    byId[msg.id] = li;
    setState(li, msg.state || "published");
    place(li, msg.id);
    if (msg.id > lastId) { lastId = msg.id; }
    hooks.render.forEach(function (fn) { fn(li, msg); });
  }

  function say(text) {
    notice.textContent = text || "";
    notice.hidden = !text;
  }

  function setFormEnabled(on) {
    if (!form) { return; }
    textarea.disabled = !on;
    // While muted the text may still be written, not sent.
    sendButton.disabled = !on || mutedUntil > Date.now();
  }

  function endMute() {
    if (muteTimer) { window.clearTimeout(muteTimer); }
    muteTimer = null;
    var wasMuted = mutedUntil > 0;
    mutedUntil = 0;
    if (sendButton) { sendButton.disabled = !joined || shut; }
    if (wasMuted) { say(""); }
  }

  function applyMute(until) {
    var end = until ? Date.parse(until) : NaN;
    if (isNaN(end) || end <= Date.now()) { endMute(); return; }
    mutedUntil = end;
    if (sendButton) { sendButton.disabled = true; }
    say(words.lMuted.replace("{time}", localTime(until)));
    if (muteTimer) { window.clearTimeout(muteTimer); }
    // The server lifts it at that moment too; a timer can wait at most about 24 days.
    muteTimer = window.setTimeout(endMute, Math.min(end - Date.now() + 500, 2147483647));
  }

  function showPinned(msg) {
    pinnedBox.hidden = !msg;
    // text_html is sanitized on the server, like every message.
    pinnedBox.querySelector(".chat-pinned-text").innerHTML = msg ? msg.text_html : "";
  }

  function tickWait() {
    var left = Math.ceil((waitUntil - Date.now()) / 1000);
    if (!slowBox) { return; }
    if (left > 0) {
      slowBox.textContent = words.lWait.replace("{n}", left);
      waitTimer = window.setTimeout(tickWait, 1000);
    } else {
      slowBox.textContent = slowMode ? words.lSlow.replace("{n}", slowMode) : "";
      waitTimer = null;
    }
  }

  function startWait(seconds) {
    waitUntil = Date.now() + seconds * 1000;
    if (waitTimer) { window.clearTimeout(waitTimer); }
    tickWait();
  }

  function showControls(controls) {
    if (!controls) { return; }
    slowMode = controls.slow_mode || 0;
    if (!waitTimer && slowBox) {
      slowBox.textContent = slowMode && !isHost ? words.lSlow.replace("{n}", slowMode) : "";
    }
  }

  function shutOut(text) {
    shut = true;
    joined = false;
    setFormEnabled(false);
    say(text);
  }

  function showError(ack) {
    if (errorBox) { errorBox.textContent = ack.message || ""; }
  }

  function retryDelay(tries) {
    return Math.min(1000 * Math.pow(2, tries), RETRY_MAX_MS);
  }

  // The server could not store it just now: it stays "Sending…" and goes again with the same
  // client_id (the server stores it once however often it comes). False once RETRY_FOR_MS has
  // passed since the first try.
  function retryLater(clientId) {
    var item = pending[clientId];
    var left = item.since + RETRY_FOR_MS - Date.now();
    if (left <= 0) { return false; }
    if (item.timer) { window.clearTimeout(item.timer); }
    item.timer = window.setTimeout(function () {
      item.timer = null;
      send(clientId);
    }, Math.min(retryDelay(item.tries), left));
    item.tries += 1;
    return true;
  }

  function send(clientId) {
    var item = pending[clientId];
    if (!item || !socket.connected || !joined) { return; }
    if (item.timer) { window.clearTimeout(item.timer); item.timer = null; }
    socket.emit("send", { room: slug, client_id: clientId, text: item.text }, function (ack) {
      if (ack && ack.ok) {
        if (textarea) { textarea.dispatchEvent(new CustomEvent("draft:sent")); }  // drafts.js
        render(ack.message);
        if (slowMode && !isHost) { startWait(slowMode); }
        return;
      }
      if (!pending[clientId]) { return; }  // another try of it was acknowledged already
      var unavailable = ack && ack.error === "unavailable" && ack.retry;
      if (unavailable && retryLater(clientId)) { return; }
      // Refused (blocked, too long, muted), or still unavailable after RETRY_FOR_MS: the text
      // goes back to the form to edit or send again (with the same client_id, unchanged).
      var failed = pending[clientId];
      delete pending[clientId];
      if (textarea && ack && typeof ack.text === "string" && !textarea.value) {
        failed.li.remove();
        textarea.value = ack.text;
        refused = { id: clientId, text: ack.text };
      } else if (unavailable) {
        setState(failed.li, "failed");  // the box holds newer words: this text stays in view
      } else {
        failed.li.remove();
      }
      showError(ack || {});
      if (ack && ack.error === "slow_mode") { startWait(ack.retry_after || slowMode); }
      if (ack && ack.error === "rate_limited" && ack.retry_after) { startWait(ack.retry_after); }
      if (ack && ack.error === "muted" && ack.until) { applyMute(ack.until); }
    });
  }

  function resendPending() {
    Object.keys(pending).forEach(send);
  }

  function showSupport(data) {
    supportBox.textContent = "";
    // "gentle" (a relapse): a small note, not the crisis-size list.
    var gentle = data.kind === "gentle";
    supportBox.classList.toggle("chat-support-gentle", gentle);
    var p = document.createElement("p");
    p.textContent = data.message;
    supportBox.appendChild(p);
    // Who may read it now (on duty, the next shift, or nobody): worked out by the server as
    // it answered, so the page promises nothing that isn't true.
    if (data.people) {
      var people = document.createElement("p");
      people.className = "chat-support-people";
      people.textContent = data.people;
      supportBox.appendChild(people);
    }
    var ul = document.createElement("ul");
    (data.resources || []).forEach(function (r) {
      var li = document.createElement("li");
      var name = document.createElement("strong");
      name.textContent = r.name;
      li.appendChild(name);
      (r.contacts || []).slice(0, gentle ? 1 : undefined).forEach(function (c) {
        li.appendChild(document.createTextNode(" · "));
        if (c.href) {
          var a = document.createElement("a");
          a.href = c.href;
          a.textContent = c.value;
          li.appendChild(a);
        } else {
          li.appendChild(document.createTextNode(c.value));
        }
        // "Call", "Text": the same number can be both, and says which only here.
        if (c.note) {
          var note = document.createElement("span");
          note.className = "meta";
          note.textContent = " " + c.note;
          li.appendChild(note);
        }
      });
      ul.appendChild(li);
    });
    supportBox.appendChild(ul);
    supportBox.hidden = false;
    // The box sits above the log; on a phone the writer is down at the text box and would
    // not see the lines without this.
    if (!gentle) { supportBox.scrollIntoView({ block: "start" }); }
  }

  function showPresence(count) {
    presence.textContent = (presence.dataset.template || "{n}").replace("{n}", count);
  }

  var socket = window.io("/chat", { transports: ["websocket", "polling"] });
  // A presence event can arrive before the join's own answer, which was counted earlier:
  // the answer's count is shown only when no newer one has come in meanwhile.
  var presenceEvents = 0;

  // The room could not be joined just now (the database is away): ask again, waiting longer
  // each time; the connection line shows "…" as while connecting, and the reason only once it
  // has lasted RETRY_FOR_MS.
  function joinLater(ack) {
    if (!joinSince) { joinSince = Date.now(); }
    connection.textContent = Date.now() - joinSince < RETRY_FOR_MS ? "…" : (ack.message || "");
    window.setTimeout(function () {
      if (socket.connected && !joined && !shut) { join(); }
    }, retryDelay(joinTries));
    joinTries += 1;
  }

  // What was missed while away; asked again while the database is away.
  function syncSince(since, tries) {
    socket.emit("sync", { room: slug, after_id: since }, function (sync) {
      if (sync && sync.ok) {
        sync.messages.forEach(render);
      } else if (sync && sync.error === "unavailable" && sync.retry) {
        window.setTimeout(function () {
          if (joined) { syncSince(since, tries + 1); }
        }, retryDelay(tries));
      }
      resendPending();
    });
  }

  function join() {
    var since = lastId;
    var presenceAtJoin = presenceEvents;
    socket.emit("join", { room: slug }, function (ack) {
      if (ack && !ack.ok && ack.error === "unavailable" && ack.retry) {
        joinLater(ack);
        return;
      }
      if (!ack || !ack.ok) {
        if (ack && (ack.error === "removed" || ack.error === "locked")) { shutOut(ack.message); }
        connection.textContent = (ack && ack.message) || "";
        return;
      }
      if (ack.waiting) {
        // Knocking: nothing of the room is shown until a facilitator lets this member in.
        setFormEnabled(false);
        knockAgain.hidden = true;
        say(words.lWaiting);
        return;
      }
      joined = true;
      joinTries = 0;
      joinSince = 0;
      connection.textContent = "";
      say("");
      knockAgain.hidden = true;
      setFormEnabled(true);
      if (presenceEvents === presenceAtJoin) { showPresence(ack.presence); }
      showPinned(ack.pinned);
      showControls(ack.controls);
      if (ack.muted_until) { applyMute(ack.muted_until); } else if (mutedUntil) { endMute(); }
      ack.history.forEach(render);
      hooks.join.forEach(function (fn) { fn(ack); });
      if (since) {
        // Back after a dropped connection: fetch everything missed, then resend what was
        // never acknowledged (the client_id makes a resend harmless).
        syncSince(since, 0);
      } else {
        resendPending();
      }
    });
  }

  // The forum's one time format (the server's "when": 2026-03-01 18:05, 24-hour) in the
  // member's zone, with the zone named.
  function localTime(iso) {
    var when = new Date(iso);
    if (isNaN(when)) { return iso; }
    var parts = {};
    var shownZone = zone;
    var format;
    try {
      format = new Intl.DateTimeFormat("en-GB", { timeZone: zone, year: "numeric",
        month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    } catch (e) {  // a zone this browser does not know
      shownZone = "UTC";
      format = new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", year: "numeric",
        month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    }
    format.formatToParts(when).forEach(function (p) { parts[p.type] = p.value; });
    return parts.year + "-" + parts.month + "-" + parts.day + " " + parts.hour + ":" +
      parts.minute + " " + shownZone;
  }

  socket.on("connect", function () {
    connection.textContent = "";
    connectTries = 0;
    if (!shut) { join(); }
  });

  // Refused while the database is away: after a refusal the client does not connect again by
  // itself, so the page does, waiting longer each time.
  socket.on("connect_error", function (err) {
    if (socket.active || !err || err.message !== "unavailable") { return; }
    connection.textContent = "…";
    window.setTimeout(function () {
      if (!socket.connected) { socket.connect(); }
    }, retryDelay(connectTries));
    connectTries += 1;
  });

  socket.on("disconnect", function () {
    joined = false;
    connection.textContent = "…";
  });
  socket.on("message", render);
  socket.on("presence", function (data) {
    if (data.room === slug) { presenceEvents += 1; showPresence(data.count); }
  });
  socket.on("message_removed", function (data) {
    var li = byId[data.id];
    if (li) { li.remove(); delete byId[data.id]; }
  });
  socket.on("support", showSupport);
  socket.on("pinned", function (data) { if (data.room === slug) { showPinned(data.message); } });
  socket.on("room_state", function (data) {
    if (data.room !== slug) { return; }
    showControls(data);
  });
  socket.on("admitted", function (data) { if (data.room === slug) { join(); } });
  socket.on("declined", function (data) {
    if (data.room !== slug) { return; }
    say(words.lDeclined);
    knockAgain.hidden = false;
  });
  socket.on("muted", function (data) {
    if (data.room !== slug) { return; }
    applyMute(data.until);
  });
  socket.on("removed_from_room", function (data) {
    if (data.room !== slug) { return; }
    shutOut(words.lRemoved);
    // The server has taken this member's connections out on every process; leaving as
    // well is harmless, and covers a process still running an older release.
    socket.emit("leave", { room: slug }, function () {});
  });
  socket.on("room_closed", function (data) {
    if (data.room !== slug) { return; }
    shutOut(data.reason === "ended" ? words.lEnded : words.lClosed);
    if (isHost) { shut = false; }  // a facilitator may open it again from the panel
  });
  knockAgain.querySelector("button").addEventListener("click", function () {
    knockAgain.hidden = true;
    join();
  });

  window.forumChat = { socket: socket, slug: slug, hooks: hooks, join: join, say: say,
                       setFormEnabled: setFormEnabled };

  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = textarea.value;
      if (!text.trim()) { return; }
      if (errorBox) { errorBox.textContent = ""; }
      var clientId = refused && refused.text === text ? refused.id : newClientId();
      refused = null;
      var li = buildItem(labels.you);
      li.querySelector(".chat-text").textContent = text;
      setState(li, "pending");
      log.appendChild(li);
      pending[clientId] = { text: text, li: li, since: Date.now(), tries: 0, timer: null };
      textarea.value = "";
      send(clientId);
    });
    textarea.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
  }
}());
