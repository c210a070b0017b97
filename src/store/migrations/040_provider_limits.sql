-- The send timeline of each account's provider, shared by every worker: `next_at` is the store-clock time (ms since
-- the epoch) of the next free start slot. Workers book slots in small blocks (see src/store/provider-limits.ts), so
-- the provider's ratePerSecond holds for the account whatever the number of workers.
CREATE TABLE provider_pace (
  account_id text NOT NULL REFERENCES accounts(id),
  channel    text NOT NULL,
  next_at    double precision NOT NULL,
  PRIMARY KEY (account_id, channel)
);

-- Leases on each account provider's concurrency: a worker's share of calls in flight, renewed while it sends; a
-- worker that dies gives its share back when its lease expires (`expires_at`, store-clock ms since the epoch).
CREATE TABLE provider_permits (
  account_id text NOT NULL REFERENCES accounts(id),
  channel    text NOT NULL,
  holder     text NOT NULL,
  permits    integer NOT NULL,
  expires_at double precision NOT NULL,
  PRIMARY KEY (account_id, channel, holder)
);
