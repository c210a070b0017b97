/**
 * Public one-click unsubscribe (RFC 8058), the target of emails' List-Unsubscribe header: no API key, the
 * signed token is the authority. GET shows a confirmation button (mail scanners follow GETs); POST unsubscribes.
 */
import express, { type Router } from 'express';
import type { Store } from '../store/store';
import { checkUnsubscribeToken } from '../unsubscribe';

const answers = { invalid: 'This unsubscribe link is not valid.', expired: 'This unsubscribe link has expired.' } as const;

/** The unsubscribe routes. */
export function unsubscribeRoutes(store: Store, key: Buffer): Router {
  const router = express.Router();
  router.get('/unsubscribe/:token', (req, res) => {
    const target = checkUnsubscribeToken(key, req.params.token);
    if (typeof target === 'string') {
      res.status(404).type('text/plain').send(answers[target]);
      return;
    }
    res
      .type('html')
      .send('<!doctype html><meta charset="utf-8"><title>Unsubscribe</title><form method="post"><button>Unsubscribe</button></form>');
  });
  router.post('/unsubscribe/:token', express.urlencoded({ extended: false, limit: '1kb' }), async (req, res) => {
    const target = checkUnsubscribeToken(key, req.params.token);
    if (typeof target === 'string' || !(await store.suppressContact(target.accountId, target.contactId, target.channel))) {
      res.status(404).type('text/plain').send(answers[typeof target === 'string' ? target : 'invalid']);
      return;
    }
    res.type('text/plain').send(`You will not receive ${target.channel === 'email' ? 'emails' : 'messages'} like this again.`);
  });
  return router;
}
