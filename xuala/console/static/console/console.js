// Agent console: a canned reply chosen in the select fills the reply box at once.
// Without JavaScript the "Insert" button reloads the page with the reply box filled.
(function () {
  "use strict";
  function bind(root) {
    var select = root.querySelector && root.querySelector("#canned-select");
    if (!select || select.dataset.bound) { return; }
    select.dataset.bound = "1";
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      var box = document.getElementById(select.dataset.target);
      if (!option || !option.value || !box) { return; }
      box.value = option.dataset.body || "";
      box.focus();
    });
    var form = select.form;
    if (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        select.dispatchEvent(new Event("change"));
      });
    }
  }
  document.addEventListener("DOMContentLoaded", function () { bind(document); });
  // htmx swaps (boosted navigation) bring a new page body: bind again.
  document.addEventListener("htmx:load", function (event) { bind(document); });
})();
