-- Signature tokens a provider's signature does not bind to the body (Mailgun's `signature.token`): each is bound to
-- the first event it came with, in the store so that every API process refuses it with another event. Tokens are
-- dropped once older than the signatures Herald accepts (a signature that old is refused by its timestamp anyway).
CREATE TABLE receipt_tokens (
  account_id text NOT NULL,
  provider   text NOT NULL,
  token      text NOT NULL,
  event_id   text NOT NULL,
  signed_at  timestamptz NOT NULL,
  PRIMARY KEY (account_id, provider, token)
);
CREATE INDEX receipt_tokens_signed ON receipt_tokens (signed_at);
