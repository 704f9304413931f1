// Sign-up: preselect the browser's own time zone in the time zone list, so times on the forum
// read as the member's clock from the start. Only on a fresh form (the server marks it with
// data-detect-zone), never over a choice already made; without this file the list says UTC.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector("[data-detect-zone]");
    var select = box ? box.querySelector("select") : null;
    if (!select || !window.Intl || !Intl.DateTimeFormat) { return; }
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    for (var i = 0; i < select.options.length; i += 1) {
      if (select.options[i].value === zone) { select.value = zone; return; }
    }
  });
}());
