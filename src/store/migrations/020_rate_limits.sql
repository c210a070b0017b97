-- Fixed-window request counters shared by every API process: one row per bucket (an account's requests, a
-- client address's failed authentications), holding the current window's start and its hits.
CREATE TABLE rate_limits (
  bucket text PRIMARY KEY,
  window_start timestamptz NOT NULL,
  hits integer NOT NULL
);

CREATE INDEX rate_limits_window ON rate_limits (window_start);
