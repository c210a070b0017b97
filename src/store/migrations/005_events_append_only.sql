-- Events are an append-only log written only by Herald, in the same statement as the delivery change they record.
-- Checking the account of every event row costs a trigger call per row on the hottest path: the key goes.

ALTER TABLE events DROP CONSTRAINT events_account_id_fkey;
