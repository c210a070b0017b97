/**
 * Serves the operator console (built by scripts/build-console.mjs into console/dist) at /console: its files, and
 * index.html for every other path under it so the console's own URLs can be reloaded and shared.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import express from 'express';

/** Where the console's build lands. */
export const CONSOLE_DIST = path.resolve(__dirname, '..', '..', 'console', 'dist');

/** Herald's icon (SVG), served at /favicon.ico and /console/favicon.svg without a key. */
export const FAVICON = path.resolve(__dirname, '..', '..', 'console', 'public', 'favicon.svg');

/** Answers a browser's icon request with Herald's icon (not the 401 of the API behind it). */
export const favicon: express.RequestHandler = (_req, res) => {
  res.setHeader('Cache-Control', 'public, max-age=86400');
  res.type('image/svg+xml').sendFile(FAVICON);
};

/** The /console router; without a build it says how to make one instead of a bare 404. */
export function consoleRoutes(dir = CONSOLE_DIST): express.Router {
  const router = express.Router();
  const index = path.join(dir, 'index.html');
  router.get('/favicon.svg', favicon);
  router.use(express.static(dir, { index: false, fallthrough: true }));
  router.use((req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    // A missing asset is a 404, not the page (a stale page asking for an old file should fail visibly).
    if (path.extname(req.path) !== '') return next();
    if (!existsSync(index)) {
      res.status(503).type('text/plain').send('The operator console is not built: run `node scripts/build-console.mjs` (npm start and npm test do).');
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
  router.use((req, res) => {
    res.status(404).json({ error: { code: 'not_found', message: `no console file ${req.path}` } });
  });
  return router;
}
