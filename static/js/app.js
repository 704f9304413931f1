// The installable app's page side (progressive enhancement: every page works without it).
// - Registers the service worker (static/sw.js, served at /sw.js) on every page.
// - A signed-in page, or the crisis page, asks the worker to keep the crisis page for offline
//   use, in this page's language and the member's country (data-offline-warm,
//   data-crisis-country). A signed-out page never does: after log-out nothing comes back.
// - On the crisis page, with no network, shows the "you are offline" note and hides the duty
//   line, which was true when the page was kept, not now.
// - A signed-in page with a push subscription in this browser tells the server, once per
//   sign-in (data-push-mark), that the subscription is this sign-in's device: its row may
//   still name a sign-in a log-out elsewhere ended.
// - Log-out (form[data-drafts-clear]; drafts.js clears the drafts first) empties every cache,
//   has the server forget this browser's push subscription (data-push-forget, by its
//   endpoint) and ends it in the browser, before the form goes.
(function () {
  "use strict";
  var script = document.querySelector("script[data-sw]");
  var LOGOUT_WAIT_MS = 1500;

  function ask(worker, message) {
    return new Promise(function (resolve) {
      var channel = new MessageChannel();
      channel.port1.onmessage = function (event) { resolve(event.data); };
      worker.postMessage(message, [channel.port2]);
    });
  }

  function warm(registration) {
    var marks = document.querySelectorAll("[data-offline-warm]");
    if (!marks.length || !registration.active) { return; }
    // The crisis page's own country wins over the one the member's time zone gives.
    var country = marks[marks.length - 1].getAttribute("data-crisis-country") || "";
    registration.active.postMessage({
      type: "warm", lang: document.documentElement.lang, country: country.toUpperCase(),
    });
  }

  if (script && "serviceWorker" in navigator) {
    navigator.serviceWorker.register(script.getAttribute("data-sw"), {
      scope: "/", updateViaCache: "none",
    }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(warm).catch(function () { /* no worker: the site works as before */ });
  }

  function showOffline() {
    var note = document.querySelector("[data-offline-note]");
    if (!note) { return; }
    var offline = navigator.onLine === false;
    note.hidden = !offline;
    var duty = document.querySelector(".duty-status");
    if (duty) { duty.hidden = offline; }
  }
  showOffline();
  window.addEventListener("online", showOffline);
  window.addEventListener("offline", showOffline);

  function csrfToken() {
    var field = document.querySelector("form[data-drafts-clear] input[name=csrf_token]");
    return field ? field.value : "";
  }

  // JSON to the forum with the page's CSRF token; resolves to the answer's JSON (or null).
  function post(url, body) {
    return window.fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": csrfToken()
      },
      body: JSON.stringify(body)
    }).then(function (response) { return response.ok ? response.json() : null; });
  }

  var LINKED_KEY = "forum-push-linked";

  function relinkPush() {
    var url = script && script.getAttribute("data-push-relink");
    var mark = script && script.getAttribute("data-push-mark");
    // The settings page does the same itself (static/js/push.js).
    if (!url || !mark || document.querySelector("[data-push]") || !window.fetch ||
        !("PushManager" in window)) { return; }
    try {
      if (window.sessionStorage.getItem(LINKED_KEY) === mark) { return; }
    } catch (error) { return; }
    navigator.serviceWorker.ready.then(function (registration) {
      return registration.pushManager.getSubscription();
    }).then(function (subscription) {
      if (!subscription) { return null; }
      var json = subscription.toJSON();
      return post(url, { endpoint: json.endpoint, keys: json.keys, relink: true });
    }).then(function () {
      try { window.sessionStorage.setItem(LINKED_KEY, mark); } catch (error) { /* private */ }
    }).catch(function () { /* tried again on the next page */ });
  }
  if (script && "serviceWorker" in navigator) { relinkPush(); }

  function endPush(registration) {
    var url = script && script.getAttribute("data-push-forget");
    return registration.pushManager.getSubscription().then(function (subscription) {
      if (!subscription) { return null; }
      // The server forgets it first (the log-out then finds nothing left of this device),
      // then the browser ends it.
      var told = url && window.fetch ?
        post(url, { endpoint: subscription.endpoint }).catch(function () { return null; }) :
        Promise.resolve(null);
      return told.then(function () { return subscription.unsubscribe(); });
    });
  }

  function forgetEverything() {
    var jobs = [];
    if ("serviceWorker" in navigator) {
      jobs.push(navigator.serviceWorker.getRegistration("/").then(function (registration) {
        if (!registration) { return null; }
        var steps = [];
        // First: the worker stops any warm-up still storing, and empties its caches itself.
        if (registration.active) { steps.push(ask(registration.active, { type: "forget" })); }
        if (registration.pushManager) { steps.push(endPush(registration)); }
        return Promise.all(steps);
      }));
    }
    if ("caches" in window) {
      jobs.push(caches.keys().then(function (names) {
        return Promise.all(names.map(function (name) { return caches.delete(name); }));
      }));
    }
    return Promise.all(jobs.map(function (job) {
      return job.catch(function () { return null; });
    }));
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-drafts-clear]")) { return; }
    if (!("caches" in window) && !("serviceWorker" in navigator)) { return; }
    event.preventDefault();
    if (form.dataset.loggingOut) { return; }
    form.dataset.loggingOut = "1";
    var sent = false;
    function send() {
      if (sent) { return; }
      sent = true;
      // The element's own submit (not requestSubmit): no second submit event.
      HTMLFormElement.prototype.submit.call(form);
    }
    window.setTimeout(send, LOGOUT_WAIT_MS);
    forgetEverything().then(send, send);
  });
})();
