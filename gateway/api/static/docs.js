// Swagger UI on this gateway's own OpenAPI document. A file, not an inline script:
// the page's Content-Security-Policy runs scripts from this origin only.
"use strict";
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  presets: [SwaggerUIBundle.presets.apis],
  // BaseLayout: no top bar, so no box that would load another origin's document.
  layout: "BaseLayout",
  deepLinking: true,
  tryItOutEnabled: true,
  displayRequestDuration: true,
  // The default would send the document to validator.swagger.io.
  validatorUrl: null,
  supportedSubmitMethods: ["get", "post"],
  defaultModelsExpandDepth: 0,
});
