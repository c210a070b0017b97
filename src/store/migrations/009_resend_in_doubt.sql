-- A campaign may choose at-least-once for its messages in doubt: when it goes on (resume, release, a batch's
-- retry), they are sent again to every provider, not only to those that honour the idempotency key.
ALTER TABLE campaigns ADD COLUMN resend_in_doubt boolean NOT NULL DEFAULT false;
