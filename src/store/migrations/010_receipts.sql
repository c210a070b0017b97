-- What providers report after a message was handed over: delivered, undelivered, bounced, complained, unsubscribed.
-- Every receipt is kept once (a replay of the same provider event changes nothing), matched to its delivery by the
-- provider's message id (a receipt that arrives before Herald recorded the send waits, unmatched, until it has);
-- each delivery's latest outcome is kept apart from the delivery row, so sending never waits on receipts.

CREATE TABLE receipts (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id          text NOT NULL,
  provider            text NOT NULL,
  event_id            text NOT NULL,
  channel             text NOT NULL,
  provider_message_id text NOT NULL,
  outcome             text NOT NULL CHECK (outcome IN ('delivered', 'undelivered', 'bounced', 'complained', 'unsubscribed')),
  bounce              text CHECK (bounce IN ('hard', 'soft')),
  reason              text,
  suppress            boolean NOT NULL DEFAULT false,
  occurred_at         timestamptz NOT NULL,
  received_at         timestamptz NOT NULL DEFAULT now(),
  delivery_id         bigint,
  UNIQUE (account_id, provider, event_id)
);
CREATE INDEX receipts_unmatched ON receipts (account_id, id) WHERE delivery_id IS NULL;

-- The latest delivered / undelivered / bounced outcome of each delivery, and whether its recipient complained or
-- unsubscribed: the source of the receipt counts.
CREATE TABLE delivery_receipts (
  delivery_id     bigint PRIMARY KEY,
  campaign_id     text NOT NULL,
  channel         text NOT NULL,
  outcome         text,
  bounce          text,
  reason          text,
  provider        text,
  outcome_at      timestamptz,
  complained_at   timestamptz,
  unsubscribed_at timestamptz
);
CREATE INDEX delivery_receipts_campaign ON delivery_receipts (campaign_id, channel);

CREATE INDEX deliveries_provider_message ON deliveries (provider_message_id) WHERE provider_message_id IS NOT NULL;

-- The unguessable path of each account's receipt route per provider kind.
CREATE TABLE receipt_endpoints (
  token      text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts(id),
  kind       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, kind)
);

-- Why a contact is suppressed on a channel (a hard bounce, a complaint, an unsubscribe), when the store knows.
CREATE TABLE suppression_causes (
  account_id text NOT NULL,
  contact_id text NOT NULL,
  channel    text NOT NULL,
  cause      text NOT NULL,
  provider   text,
  reason     text,
  at         timestamptz NOT NULL,
  PRIMARY KEY (account_id, contact_id, channel)
);

ALTER TABLE events ADD COLUMN provider text;
ALTER TABLE events ADD COLUMN bounce text;
