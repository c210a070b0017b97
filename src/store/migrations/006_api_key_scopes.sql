-- API key scopes (read < control < admin). Keys made before scopes existed keep full power: admin.
-- revoked_at has existed since 001; authentication already ignores revoked keys.

ALTER TABLE api_keys ADD COLUMN scope text NOT NULL DEFAULT 'admin' CHECK (scope IN ('read', 'control', 'admin'));

CREATE INDEX api_keys_account ON api_keys (account_id, created_at);
