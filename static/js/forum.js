// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var suggest = document.getElementById("suggest-pseudonym");
    var field = document.getElementById("pseudonym");
    if (suggest && field) {
      suggest.addEventListener("click", function () {
        fetch(suggest.dataset.url, { credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (data) { field.value = data.pseudonym; field.focus(); })
          .catch(function () { /* the member can type one */ });
      });
    }
    var summary = document.querySelector(".error-summary");
    if (summary) { summary.focus(); }
    // Right after a post that spoke of risk the page opens on the crisis panel: on a phone the
    // header alone would fill the first screen, and a screen reader starts at the panel.
    var crisis = document.querySelector("#crisis-panel[data-focus]");
    if (crisis && !summary) {
      crisis.focus({ preventScroll: true });
      crisis.scrollIntoView({ block: "start" });
    }
  });
})();
