-- A stopped, cancelled or deleted campaign's unhanded deliveries are notSent by its `unsent_reason` (set with the
-- stop's answer): every read shows its pending rows as notSent(reason), so the compensation writes only their events
-- and leaves the rows as they are (rewriting each row cost a new row version and three index entries: about half
-- the stop's work at 1,000,000). The events go in delivery id order; `unsent_events_upto` is the last delivery whose
-- event is written, moved in the same statement as the events, so a retried chunk never writes one twice.

ALTER TABLE campaigns ADD COLUMN unsent_events_upto bigint NOT NULL DEFAULT 0;
