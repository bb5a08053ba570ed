// The API docs page's start-up (a file, not an inline script: the page's CSP allows no inline
// script). Swagger UI itself comes from the installed swagger-ui-bundle package, never a CDN.
window.addEventListener("load", function () {
  "use strict";
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout",
  });
});
