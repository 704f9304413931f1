// The installable app's page side (progressive enhancement: every page works without it).
// - Registers the service worker (static/sw.js, served at /sw.js) on every page.
// - A signed-in page, or the crisis page, asks the worker to keep the crisis page for offline
//   use, in this page's language and the member's country (data-offline-warm,
//   data-crisis-country). A signed-out page never does: after log-out nothing comes back.
// - On the crisis page, with no network, shows the "you are offline" note and hides the duty
//   line, which was true when the page was kept, not now.
// - Log-out (form[data-drafts-clear]; drafts.js clears the drafts first) empties every cache
//   and ends this browser's push subscription before the form goes.
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

  function forgetEverything() {
    var jobs = [];
    if ("serviceWorker" in navigator) {
      jobs.push(navigator.serviceWorker.getRegistration("/").then(function (registration) {
        if (!registration) { return null; }
        var steps = [];
        // First: the worker stops any warm-up still storing, and empties its caches itself.
        if (registration.active) { steps.push(ask(registration.active, { type: "forget" })); }
        if (registration.pushManager) {
          steps.push(registration.pushManager.getSubscription().then(function (subscription) {
            return subscription ? subscription.unsubscribe() : null;
          }));
        }
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
