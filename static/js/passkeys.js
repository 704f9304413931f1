// Passkeys (WebAuthn): adding one on /account/security, and using one for the second step of
// signing in or to confirm it's you. Each form asks the server for options, hands them to the
// browser (navigator.credentials.create or .get) and sends the answer back as JSON, with the
// page's CSRF token in the X-CSRFToken header. The forms stay hidden where the browser has no
// passkeys; what goes wrong is said in the form's live region.
(function () {
  "use strict";

  if (window.passkeysReady) { return; }  // several partials on one page load this file once
  window.passkeysReady = true;

  var supported = typeof window.PublicKeyCredential !== "undefined" &&
    !!(navigator.credentials && window.fetch);

  // --- bytes: WebAuthn's JSON carries them as base64url, the browser wants ArrayBuffers ---
  function toBuffer(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) { base64 += "="; }
    var raw = window.atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) { bytes[i] = raw.charCodeAt(i); }
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i += 1) { raw += String.fromCharCode(bytes[i]); }
    return window.btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      var copy = { type: item.type, id: toBuffer(item.id) };
      if (item.transports) { copy.transports = item.transports; }
      return copy;
    });
  }

  function creationOptions(options) {
    var publicKey = Object.assign({}, options);
    publicKey.challenge = toBuffer(options.challenge);
    publicKey.user = Object.assign({}, options.user, { id: toBuffer(options.user.id) });
    publicKey.excludeCredentials = descriptors(options.excludeCredentials);
    return publicKey;
  }

  function requestOptions(options) {
    var publicKey = Object.assign({}, options);
    publicKey.challenge = toBuffer(options.challenge);
    publicKey.allowCredentials = descriptors(options.allowCredentials);
    return publicKey;
  }

  function common(credential) {
    return {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults ?
        credential.getClientExtensionResults() : {}
    };
  }

  function registrationJSON(credential) {
    var answer = common(credential);
    var response = credential.response;
    answer.response = {
      clientDataJSON: toText(response.clientDataJSON),
      attestationObject: toText(response.attestationObject),
      transports: response.getTransports ? response.getTransports() : []
    };
    return answer;
  }

  function assertionJSON(credential) {
    var answer = common(credential);
    var response = credential.response;
    answer.response = {
      clientDataJSON: toText(response.clientDataJSON),
      authenticatorData: toText(response.authenticatorData),
      signature: toText(response.signature),
      userHandle: response.userHandle ? toText(response.userHandle) : null
    };
    return answer;
  }

  // --- talking to the server ---

  // A refusal the server explained: its words are shown as they are.
  function Refused(data) { this.data = data; }

  function post(form, url, payload) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Accept": "application/json",
        "Content-Type": "application/json",
        "X-CSRFToken": form.elements.csrf_token.value
      },
      body: JSON.stringify(payload || {})
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) { throw new Error("not JSON"); }
      return response.json().then(function (data) {
        if (!response.ok || data.error) { throw new Refused(data); }
        return data;
      });
    });
  }

  function say(form, text) {
    var status = form.querySelector(".passkey-status");
    if (!status) { return; }
    // Emptied first, so the same words said twice are read twice.
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text || ""; }, 50);
  }

  function failed(form, error) {
    if (error instanceof Refused) {
      say(form, error.data.error || form.dataset.failed);
      // Confirm it's you first (the step-up page), or log in again: said, then gone there.
      var next = error.data.confirm || error.data.redirect;
      if (next) {
        window.setTimeout(function () { window.location.assign(next); }, 1500);
      }
    } else if (error && error.name === "InvalidStateError" && form.dataset.duplicate) {
      say(form, form.dataset.duplicate);  // this key already holds one of the account's
    } else if (error && (error.name === "NotAllowedError" || error.name === "AbortError")) {
      say(form, form.dataset.cancelled);
    } else {
      say(form, form.dataset.failed);
    }
  }

  function busy(form, on) {
    var button = form.querySelector("button[type=submit]");
    if (on) { form.dataset.busy = "1"; } else { delete form.dataset.busy; }
    if (button) { button.disabled = on; }
  }

  function guard(form, run) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (form.dataset.busy) { return; }
      busy(form, true);
      say(form, "");
      run().catch(function (error) {
        failed(form, error);
      }).then(function () { busy(form, false); });
    });
  }

  // --- adding a passkey ---

  function showCodes(form, data) {
    var section = form.closest("[data-passkeys]");
    var box = section && section.querySelector("[data-passkey-codes]");
    if (!box) { window.location.assign(data.redirect); return; }
    var list = box.querySelector("ol");
    data.backup_codes.forEach(function (code) {
      var item = document.createElement("li");
      var text = document.createElement("code");
      text.textContent = code;
      item.appendChild(text);
      list.appendChild(item);
    });
    form.hidden = true;
    box.hidden = false;
    var heading = box.querySelector("h3");
    if (heading) { heading.focus(); }
  }

  function register(form) {
    guard(form, function () {
      var name = form.elements.name.value.trim();
      if (!name) {
        form.elements.name.focus();
        return Promise.reject(new Refused({ error: form.dataset.needName }));
      }
      return post(form, form.dataset.options, { name: name }).then(function (data) {
        return navigator.credentials.create({ publicKey: creationOptions(data.options) });
      }).then(function (credential) {
        return post(form, form.dataset.finish, { name: name, credential: registrationJSON(credential) });
      }).then(function (data) {
        if (data.backup_codes && data.backup_codes.length) {
          say(form, form.dataset.added);
          showCodes(form, data);
        } else {
          window.location.assign(data.redirect);
        }
      });
    });
  }

  // --- signing in, or confirming it's me ---

  function use(form, extra) {
    guard(form, function () {
      return post(form, form.dataset.options, {}).then(function (data) {
        return navigator.credentials.get({ publicKey: requestOptions(data.options) });
      }).then(function (credential) {
        var payload = Object.assign({ credential: assertionJSON(credential) }, extra || {});
        return post(form, form.dataset.finish, payload);
      }).then(function (data) {
        window.location.assign(data.redirect);
      });
    });
  }

  function start() {
    var unsupported = document.querySelectorAll("[data-passkey-unsupported]");
    for (var i = 0; i < unsupported.length; i += 1) { unsupported[i].hidden = supported; }
    if (!supported) { return; }
    document.querySelectorAll("form[data-passkey-register]").forEach(function (form) {
      form.hidden = false;
      register(form);
    });
    document.querySelectorAll("form[data-passkey-sign-in]").forEach(function (form) {
      form.hidden = false;
      use(form);
    });
    document.querySelectorAll("form[data-passkey-step-up]").forEach(function (form) {
      form.hidden = false;
      use(form, { next: form.dataset.next || "" });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
