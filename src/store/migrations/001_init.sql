-- Herald's schema. Deliveries are the idempotency key and the source of every count.

CREATE TABLE accounts (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  brake_on    boolean NOT NULL DEFAULT false,
  brake_since timestamptz,
  brake_by    text,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
  id         text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts(id),
  key_hash   text NOT NULL UNIQUE,
  name       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);

CREATE TABLE contacts (
  pk          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id  text NOT NULL REFERENCES accounts(id),
  id          text NOT NULL,
  email       text,
  phone       text,
  push_tokens jsonb NOT NULL DEFAULT '[]',
  webpush     jsonb NOT NULL DEFAULT '[]',
  timezone    text,
  attributes  jsonb NOT NULL DEFAULT '{}',
  suppressed  text[] NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, id)
);
CREATE INDEX contacts_account_pk ON contacts (account_id, pk);

CREATE TABLE audiences (
  id         text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts(id),
  name       text NOT NULL,
  type       text NOT NULL CHECK (type IN ('list', 'filter')),
  conditions jsonb NOT NULL DEFAULT '[]',
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audience_members (
  audience_id text NOT NULL REFERENCES audiences(id),
  contact_pk  bigint NOT NULL REFERENCES contacts(pk),
  PRIMARY KEY (audience_id, contact_pk)
);

CREATE TABLE campaigns (
  id           text PRIMARY KEY,
  account_id   text NOT NULL REFERENCES accounts(id),
  name         text NOT NULL,
  status       text NOT NULL,
  audience_id  text NOT NULL REFERENCES audiences(id),
  channels     jsonb NOT NULL,
  scheduled_at timestamptz,
  started_at   timestamptz,
  finished_at  timestamptz,
  error        text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX campaigns_account ON campaigns (account_id, created_at DESC, id);

CREATE TABLE deliveries (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  campaign_id         text NOT NULL REFERENCES campaigns(id),
  channel             text NOT NULL,
  contact_pk          bigint NOT NULL REFERENCES contacts(pk),
  state               text NOT NULL DEFAULT 'pending',
  reason              text,
  error               text,
  batch_key           text,
  provider_message_id text,
  updated_at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (campaign_id, channel, contact_pk)
);
CREATE INDEX deliveries_claim ON deliveries (campaign_id, channel, state, id);

CREATE TABLE events (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id  text NOT NULL REFERENCES accounts(id),
  type        text NOT NULL,
  campaign_id text NOT NULL,
  contact_id  text NOT NULL,
  channel     text NOT NULL,
  reason      text,
  error       text,
  at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_account ON events (account_id, id);

CREATE TABLE audit_log (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts(id),
  actor      text NOT NULL,
  action     text NOT NULL,
  target     text,
  result     text NOT NULL,
  detail     jsonb,
  at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_account ON audit_log (account_id, id);
