-- Provider settings per account and channel. Secrets are sealed (AES-256-GCM) and never leave the server.

CREATE TABLE provider_settings (
  account_id text NOT NULL REFERENCES accounts(id),
  channel    text NOT NULL,
  kind       text NOT NULL,
  config     jsonb NOT NULL,
  secrets    text,
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (account_id, channel)
);
