-- Who started a passkey ceremony: starting a sign-in needs no account, so live ceremonies are
-- capped per client address (server/src/auth/passkeys.rs, CEREMONIES_PER_IP) to bound what a
-- burst from one address can store. Older rows have none and expire within five minutes.
ALTER TABLE webauthn_ceremonies ADD COLUMN client_ip TEXT;
CREATE INDEX webauthn_ceremonies_ip_idx ON webauthn_ceremonies (client_ip, expires_at);
