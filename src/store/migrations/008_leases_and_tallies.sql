-- One delivery model for a fast send and a stop in constant time.
--
-- Claims are leases: a batch takes many pending deliveries in one row of `leases` instead of flipping each row, and
-- names the chunk it hands to the provider (`handed`) in that same row before the call. A delivery's one write on
-- the hot path is its outcome. A lease only exists while its batch runs (or its worker was lost mid-batch).
--
-- Counts come from `delivery_tallies`, kept by the same statement that changes a delivery's state, one row per
-- campaign, channel and second (the seconds give the sending rate): reading a campaign's counts never scans its
-- deliveries, whatever its size.
--
-- A campaign's `fence` closes it to senders (a pause, a stop, a delete): a handover takes a share lock on the
-- campaign row and checks the fence, so once the fence is written no worker, even one cut off, can hand another
-- message to a provider. `unsent_reason` is set with a stop's answer: from then on every read shows the campaign's
-- pending deliveries as notSent(reason), while the compensation writes their rows and events.

ALTER TABLE campaigns ADD COLUMN fence text;
ALTER TABLE campaigns ADD COLUMN unsent_reason text;

-- inDoubt: handed to a provider with no answer (a worker lost mid-call, a timeout), never resent by a stop.
ALTER TABLE deliveries ADD COLUMN provider_status text;
UPDATE deliveries SET state = 'pending', batch_key = NULL WHERE state = 'sending';
UPDATE deliveries SET state = 'inDoubt' WHERE handed_at IS NOT NULL AND state = 'pending';
UPDATE deliveries SET handed_at = NULL WHERE state <> 'inDoubt';

DROP INDEX deliveries_claim;
-- Only pending rows are indexed for claims: an outcome moves its row out of this index and touches no other column
-- of it.
CREATE INDEX deliveries_pending ON deliveries (campaign_id, channel, planned_at, id) WHERE state = 'pending';
CREATE INDEX deliveries_in_doubt ON deliveries (campaign_id, channel, id) WHERE state = 'inDoubt';
-- An inDoubt delivery sent again (a provider that honours the idempotency key, the campaign open) is pending with
-- its handed_at kept: should the campaign be held or stopped before it goes, it is in doubt again, never notSent.
CREATE INDEX deliveries_was_in_doubt ON deliveries (campaign_id) WHERE state = 'pending' AND handed_at IS NOT NULL;
-- Lists a campaign's deliveries in order.
CREATE INDEX deliveries_campaign ON deliveries (campaign_id, id);

CREATE TABLE leases (
  campaign_id text NOT NULL REFERENCES campaigns(id),
  batch_key   text NOT NULL,
  channel     text NOT NULL,
  ids         bigint[] NOT NULL,
  -- The chunk at the provider now (empty between calls), and since when.
  handed      bigint[] NOT NULL DEFAULT '{}',
  handed_at   timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (campaign_id, batch_key)
);

CREATE TABLE delivery_tallies (
  campaign_id text NOT NULL,
  channel     text NOT NULL,
  second      bigint NOT NULL,
  planned     int NOT NULL DEFAULT 0,
  sent        int NOT NULL DEFAULT 0,
  failed      int NOT NULL DEFAULT 0,
  not_sent    int NOT NULL DEFAULT 0,
  in_doubt    int NOT NULL DEFAULT 0,
  PRIMARY KEY (campaign_id, channel, second)
);

INSERT INTO delivery_tallies (campaign_id, channel, second, planned, sent, failed, not_sent, in_doubt)
SELECT campaign_id, channel, 0, count(*), count(*) FILTER (WHERE state = 'sent'), count(*) FILTER (WHERE state = 'failed'),
       count(*) FILTER (WHERE state = 'notSent'), count(*) FILTER (WHERE state = 'inDoubt')
FROM deliveries GROUP BY campaign_id, channel;
