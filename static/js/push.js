// Notifications on this device (Web Push), on /account/push. Where the browser can receive
// pushes, the form to turn them on appears; pressing it asks the browser's permission,
// subscribes through the service worker (registered on every page, /sw.js) with the forum's
// public key, and sends the subscription as JSON with the page's CSRF token in X-CSRFToken.
// Without JavaScript or push support the page says so and nothing else changes: push is never
// required. A subscription this browser already has is shown again, never made again unasked.
(function () {
  "use strict";

  var root = document.querySelector("[data-push]");
  if (!root) { return; }
  var form = root.querySelector("[data-push-form]");
  var state = root.querySelector("[data-push-state]");
  var unsupported = root.querySelector("[data-push-unsupported]");

  var supported = "serviceWorker" in navigator && "PushManager" in window &&
    "Notification" in window && !!window.fetch;
  if (!supported || !form) { return; }
  unsupported.hidden = true;

  function say(text) { state.textContent = text || ""; }

  // --- the key: base64url text in the page, bytes for the browser ---
  function keyBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) { base64 += "="; }
    var raw = window.atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }

  var serverKey = keyBytes(root.getAttribute("data-vapid-key"));

  function sameKey(buffer) {
    if (!buffer) { return false; }
    var bytes = new Uint8Array(buffer);
    if (bytes.length !== serverKey.length) { return false; }
    for (var i = 0; i < bytes.length; i += 1) {
      if (bytes[i] !== serverKey[i]) { return false; }
    }
    return true;
  }

  function registration() {
    // Every page registers the worker; this page waits for it (and registers it itself if
    // this is the first page the browser opened since the worker went away).
    return navigator.serviceWorker.getRegistration("/").then(function (found) {
      return found || navigator.serviceWorker.register("/sw.js", { scope: "/" });
    }).then(function () { return navigator.serviceWorker.ready; });
  }

  function send(subscription, extra) {
    var json = subscription.toJSON();
    var body = Object.assign({ endpoint: json.endpoint, keys: json.keys }, extra || {});
    return fetch(root.getAttribute("data-subscribe"), {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": form.elements.csrf_token.value
      },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) { throw new Error(data.error || root.getAttribute("data-failed")); }
        return data;
      });
    });
  }

  function showForm() {
    if (Notification.permission === "denied") {
      say(root.getAttribute("data-blocked"));
      form.hidden = true;
      return;
    }
    form.hidden = false;
  }

  // What this browser has now: a subscription the account knows (say so), or the form.
  registration().then(function (reg) {
    return reg.pushManager.getSubscription().then(function (subscription) {
      if (!subscription || !sameKey(subscription.options.applicationServerKey)) {
        showForm();
        return;
      }
      return send(subscription, { relink: true }).then(function (data) {
        if (!data.known) { showForm(); return; }
        if (data.changed && !document.querySelector("[data-push-this-device]")) {
          window.location.reload();  // this device's row is now marked as this device
          return;
        }
        say(root.getAttribute("data-on"));
      });
    });
  }).catch(function () { showForm(); });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    say("");
    registration().then(function (reg) {
      return reg.pushManager.getSubscription().then(function (old) {
        // A subscription made with an earlier key of the forum's cannot be reused.
        if (old && !sameKey(old.options.applicationServerKey)) { return old.unsubscribe(); }
      }).then(function () {
        return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: serverKey });
      });
    }).then(function (subscription) {
      return send(subscription, { device_name: form.elements.device_name.value });
    }).then(function () {
      say(root.getAttribute("data-added"));
      window.location.reload();
    }).catch(function (error) {
      button.disabled = false;
      if (Notification.permission === "denied") {
        say(root.getAttribute("data-blocked"));
      } else {
        say(error && error.message && error.message !== "undefined" && error.name === "Error" ?
          error.message : root.getAttribute("data-failed"));
      }
    });
  });

  // Turning this device off also ends the browser's own subscription, then the form goes on.
  var removeThis = document.querySelector("[data-push-remove-this]");
  if (removeThis) {
    removeThis.addEventListener("submit", function (event) {
      event.preventDefault();
      registration().then(function (reg) { return reg.pushManager.getSubscription(); })
        .then(function (subscription) { return subscription && subscription.unsubscribe(); })
        .catch(function () { return null; })
        .then(function () { removeThis.submit(); });
    });
  }
}());
