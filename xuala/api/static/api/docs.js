/* Starts Swagger UI on the API reference page; its settings come from a JSON block. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("swagger-settings").textContent);
  config.dom_id = "#swagger-ui";
  config.presets = [SwaggerUIBundle.presets.apis];
  window.ui = SwaggerUIBundle(config);
})();
