-- Delivery control: when each delivery is due, how a campaign is paced, who it excludes, and its stop report.

ALTER TABLE campaigns ADD COLUMN local_time text;
ALTER TABLE campaigns ADD COLUMN throttle jsonb;
ALTER TABLE campaigns ADD COLUMN end_at timestamptz;
ALTER TABLE campaigns ADD COLUMN exclude_sent_of text[] NOT NULL DEFAULT '{}';
ALTER TABLE campaigns ADD COLUMN report jsonb;

-- When a delivery is due: the send start, or the recipient's local time of day for local-time campaigns.
ALTER TABLE deliveries ADD COLUMN planned_at timestamptz NOT NULL DEFAULT now();
DROP INDEX deliveries_claim;
CREATE INDEX deliveries_claim ON deliveries (campaign_id, channel, state, planned_at, id);
CREATE INDEX deliveries_sent ON deliveries (campaign_id, contact_pk) WHERE state = 'sent';
