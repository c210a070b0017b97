// Herald's API reference: Scalar's standalone bundle (served by Herald, no CDN) over /openapi.json.
// No fonts or anything else from another origin: the page's CSP would refuse them anyway.
window.Scalar.createApiReference('#app', {
  url: '/openapi.json',
  withDefaultFonts: false,
  hideClientButton: false,
  telemetry: false,
  // Nothing that calls services outside this Herald: no AI agent, no MCP generator, no toolbar, no proxy.
  agent: { disabled: true },
  mcp: { disabled: true },
  showDeveloperTools: 'never',
  showToolbar: 'never',
  persistAuth: false,
  metaData: { title: 'Herald API reference' },
  authentication: { preferredSecurityScheme: 'apiKey' },
});
