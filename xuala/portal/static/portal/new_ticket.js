// The new-request form: when the chosen kind of problem is one the policy refuses at once,
// show its explanation (rendered by the server, hidden) before the client sends anything.
(function () {
  "use strict";
  function sync(select) {
    document.querySelectorAll(".category-hint").forEach(function (hint) {
      hint.hidden = hint.dataset.category !== select.value;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var select = document.querySelector("#new-ticket-form [name=category]");
    if (!select) return;
    select.addEventListener("change", function () { sync(select); });
    sync(select);
  });
})();
