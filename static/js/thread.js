// The thread page: a reaction is sent without leaving the page. Progressive enhancement only:
// each reaction is a plain form that works without this file, and anything unexpected falls
// back to sending that form.
(function () {
  "use strict";

  function announce(text) {
    var status = document.getElementById("reaction-status");
    if (!status || !text) { return; }
    // Emptied first, so the same words said twice are read twice.
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  function showCount(button, count) {
    var shown = button.querySelector(".count");
    if (!count) {
      if (shown) { button.removeChild(shown.previousSibling); button.removeChild(shown); }
      return;
    }
    if (!shown) {
      shown = document.createElement("span");
      shown.className = "count";
      button.appendChild(document.createTextNode(" "));
      button.appendChild(shown);
    }
    shown.textContent = String(count);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    // One form holds a post's reactions; the pressed button says which.
    var button = event.submitter;
    if (!button || !button.classList.contains("reaction") || !window.fetch ||
        form.dataset.plain) { return; }
    event.preventDefault();
    if (form.dataset.sending) { return; }  // a double tap would take the reaction back
    form.dataset.sending = "1";
    var body = new URLSearchParams();
    body.set(button.name, button.value);
    fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": form.elements.csrf_token.value },
      body: body
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) { throw new Error("not an answer for a script"); }
      return response.json();
    }).then(function (data) {
      delete form.dataset.sending;
      if (data.ok) {
        button.setAttribute("aria-pressed", data.given ? "true" : "false");
        showCount(button, data.count);
      }
      announce(data.message);
    }).catch(function () {
      // Signed out, rate-limited, an expired form: the page the form leads to says so. A click
      // (not form.submit()) sends the button's own kind with it.
      delete form.dataset.sending;
      form.dataset.plain = "1";
      button.click();
    });
  });
})();
