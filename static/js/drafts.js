// Unsent text kept while a member writes: a reply, a new thread, a chat message. A form or a
// field opts in with data-draft="<name>"; on a form, its text fields and tick boxes are kept.
// sessionStorage only, never localStorage and never sent anywhere: it ends with the tab, so a
// shared phone keeps no disclosure once the tab is closed. Keys carry <body data-draft-scope>,
// which changes with every login, so whoever logs in next in the same tab sees none of it.
(function () {
  "use strict";
  var PREFIX = "draft:";
  var SENT = "draft-sent:";  // a form went to the server; the next page says how it went
  var SENT_FRESH_MS = 10 * 60 * 1000;
  var store;
  try {
    store = window.sessionStorage;
    store.getItem(PREFIX);
  } catch (e) {
    return;  // storage blocked: the forms work as before, without drafts
  }

  function ours(key) {
    return key.indexOf(PREFIX) === 0 || key.indexOf(SENT) === 0;
  }

  // Every draft of every login in this tab, or all but the current login's.
  function clearAll(keepScope) {
    var doomed = [];
    for (var i = 0; i < store.length; i += 1) {
      var key = store.key(i);
      if (key && ours(key) && !(keepScope && key.split(":")[1] === keepScope)) {
        doomed.push(key);
      }
    }
    doomed.forEach(function (key) { store.removeItem(key); });
  }

  function read(key) {
    try { return JSON.parse(store.getItem(key) || "null"); } catch (e) { return null; }
  }

  function write(key, value) {
    try { store.setItem(key, JSON.stringify(value)); } catch (e) { /* full: keep typing */ }
  }

  // Log out: nothing is left behind, whichever page the member goes to next.
  document.addEventListener("submit", function (event) {
    if (event.target.matches && event.target.matches("form[data-drafts-clear]")) { clearAll(); }
  }, true);

  function start() {
    var body = document.body;
    var scope = body.dataset.draftScope;
    if (!scope) {
      clearAll();  // logged out (or the session ended): drop whatever was kept
      return;
    }
    clearAll(scope);  // someone else's login in this tab before
    var sentKey = SENT + scope;

    function fieldsOf(owner) {
      var list = owner.tagName === "FORM" ? owner.querySelectorAll("input, textarea") : [owner];
      return Array.prototype.filter.call(list, function (field) {
        if (!field.name || field.name === "csrf_token") { return false; }
        if (field.tagName === "TEXTAREA") { return true; }
        return ["text", "search", "checkbox"].indexOf(field.type) !== -1;
      });
    }

    function hasText(fields) {
      return fields.some(function (f) { return f.type !== "checkbox" && f.value.trim() !== ""; });
    }

    function save(owner) {
      var key = PREFIX + scope + ":" + owner.dataset.draft;
      var fields = fieldsOf(owner);
      if (!hasText(fields)) { store.removeItem(key); return; }
      var value = {};
      fields.forEach(function (f) { value[f.name] = f.type === "checkbox" ? f.checked : f.value; });
      write(key, value);
    }

    // The page after a form was sent: a redirect with no error on it means the text was taken.
    // A refusal comes back with its text and its errors; an error page (an expired form, too
    // many tries) is no redirect: the draft stays in both cases.
    var sent = read(sentKey);
    store.removeItem(sentKey);
    if (sent && Date.now() - sent.at < SENT_FRESH_MS) {
      var nav = window.performance && performance.getEntriesByType
        ? performance.getEntriesByType("navigation")[0] : null;
      var redirected = nav ? nav.redirectCount > 0 : true;
      var troubled = document.querySelector(".error-summary, .has-error, .panel.nudge, .flash-error");
      if (redirected && !troubled) { store.removeItem(PREFIX + scope + ":" + sent.name); }
    }

    var owners = document.querySelectorAll("[data-draft]");
    Array.prototype.forEach.call(owners, function (owner) {
      var key = PREFIX + scope + ":" + owner.dataset.draft;
      var fields = fieldsOf(owner);
      var kept = read(key);
      var restored = [];
      if (kept) {
        fields.forEach(function (f) {
          // Never over text already there: what the server sent back is the newer version.
          if (f.type !== "checkbox" && f.value === "" && typeof kept[f.name] === "string" &&
              kept[f.name] !== "") {
            f.value = kept[f.name];
            restored.push(f);
          }
        });
        // A text written to be anonymous comes back anonymous; a tick is never taken away.
        if (restored.length) {
          fields.forEach(function (f) {
            if (f.type === "checkbox" && kept[f.name] === true) { f.checked = true; }
          });
          showNote(owner, restored, key);
        }
      }
      fields.forEach(function (f) {
        f.addEventListener("input", function () { save(owner); });
        f.addEventListener("change", function () { save(owner); });
        // chat.js says so when the server has taken a message: keep only what is typed now.
        f.addEventListener("draft:sent", function () { save(owner); });
      });
    });

    // A form going to the server: decided on the next page (see above). A composer that sends
    // by script (the chat) cancels the submit and is not marked.
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (event.defaultPrevented || !form.querySelector) { return; }
      var owner = form.matches("[data-draft]") ? form : form.querySelector("[data-draft]");
      if (!owner) { return; }
      save(owner);
      write(sentKey, { name: owner.dataset.draft, at: Date.now() });
    });

    function showNote(owner, restored, key) {
      var text = body.dataset.draftRestored;
      if (!text) { return; }
      var note = document.createElement("p");
      note.className = "draft-note";
      note.setAttribute("role", "status");
      var words = document.createElement("span");
      words.textContent = text;
      var discard = document.createElement("button");
      discard.type = "button";
      discard.className = "link-button";
      discard.textContent = body.dataset.draftDiscard;
      discard.addEventListener("click", function () {
        restored.forEach(function (f) { f.value = ""; });
        store.removeItem(key);
        note.remove();
        restored[0].focus();
      });
      note.appendChild(words);
      note.appendChild(discard);
      var anchor = owner.tagName === "FORM" ? owner.firstElementChild : owner;
      anchor.parentNode.insertBefore(note, anchor);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
