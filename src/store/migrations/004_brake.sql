-- The account emergency brake holds campaigns (told apart from ones paused by hand); planned campaigns can be deleted.

ALTER TABLE campaigns ADD COLUMN held_by_brake boolean NOT NULL DEFAULT false;
ALTER TABLE campaigns ADD COLUMN deleted_at timestamptz;
CREATE INDEX campaigns_account_status ON campaigns (account_id, status) WHERE deleted_at IS NULL;
