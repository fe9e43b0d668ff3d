/**
 * The app's Content-Security-Policy: nothing but its own origin. Sent as a response header by `vite preview` and
 * `vite dev` (vite.config.ts) and by the service worker with every response it serves from its cache
 * (workers/service-worker.js, filled in at build time), and written into the built index.html as a meta tag for
 * hosts that send no headers (a meta tag cannot carry frame-ancestors, so that one is header-only).
 * Checked end to end by test/e2e/csp.test.ts (the whole flow with no violation).
 */
export const CSP_DIRECTIVES: readonly (readonly [string, string])[] = [
  ['default-src', "'self'"],
  // onnxruntime-web and the corruption kernels compile WebAssembly; no eval, no inline script.
  ['script-src', "'self' 'wasm-unsafe-eval'"],
  ['style-src', "'self'"],
  ['img-src', "'self' data: blob:"],
  ['connect-src', "'self'"],
  ['object-src', "'none'"],
  ['base-uri', "'none'"],
  ['frame-ancestors', "'none'"],
];

/** Directives a `<meta http-equiv="Content-Security-Policy">` ignores (with a console error). */
const HEADER_ONLY = new Set(['frame-ancestors', 'report-uri', 'sandbox']);

const join = (ds: readonly (readonly [string, string])[]) => ds.map(([k, v]) => `${k} ${v}`).join('; ');

/** The policy as a response header. */
export const CONTENT_SECURITY_POLICY = join(CSP_DIRECTIVES);
/** The policy for the meta tag of index.html. */
export const CONTENT_SECURITY_POLICY_META = join(CSP_DIRECTIVES.filter(([k]) => !HEADER_ONLY.has(k)));
