/**
 * Serves the API reference at /docs: Scalar's standalone bundle (copied into console/dist/docs by
 * scripts/build-console.mjs, no CDN) reading /openapi.json. Public, like the console: it holds no secrets.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import express from 'express';
import helmet from 'helmet';
import { CONSOLE_DIST } from './console';

/** Where the reference page's build lands. */
export const DOCS_DIST = path.join(CONSOLE_DIST, 'docs');

/**
 * The /docs router. Scalar injects its styles as <style> elements, so this page alone allows inline styles; its
 * scripts, fonts and requests stay same-origin.
 */
export function docsRoutes(dir = DOCS_DIST): express.Router {
  const router = express.Router();
  router.use(
    helmet.contentSecurityPolicy({
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    }),
  );
  router.get('/', (_req, res) => {
    const index = path.join(dir, 'index.html');
    if (!existsSync(index)) {
      res.status(503).type('text/plain').send('The API reference is not built: run `node scripts/build-console.mjs` (npm start and npm test do).');
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
  router.use(express.static(dir, { index: false }));
  router.use((req, res) => {
    res.status(404).json({ error: { code: 'not_found', message: `no docs file ${req.path}` } });
  });
  return router;
}
