-- A delivery is marked handed just before its message goes to the provider; the mark is cleared when the
-- provider answers that it did not take it. A handed delivery with no recorded outcome is in doubt (its worker
-- died, or the request timed out): a stop resends it under the same idempotency key instead of calling it unsent.

ALTER TABLE deliveries ADD COLUMN handed_at timestamptz;
