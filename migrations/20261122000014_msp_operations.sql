-- MSP operations: the delegation policy's bookkeeping, where tokens were made, bulk runs and
-- four-eyes approvals. Portable SQL (SQLite and PostgreSQL), same conventions as before.

-- When the technician and the granting admin were told the delegation is ending, and when its
-- expiry was processed (invitations and tokens made there revoked). Each is set by the one
-- process that claims the row, so several servers never do it twice.
ALTER TABLE delegations ADD COLUMN reminded_at BIGINT;
ALTER TABLE delegations ADD COLUMN ended_at BIGINT;
CREATE INDEX delegations_expiry_idx ON delegations (expires_at);

-- The org a token was created in (the request's X-Org-Id) and the role its maker had there:
-- when that role is lost or lowered (a delegation revoked or expired), the token is revoked.
ALTER TABLE api_tokens ADD COLUMN acting_org_id TEXT;
ALTER TABLE api_tokens ADD COLUMN acting_role TEXT;
CREATE INDEX api_tokens_acting_idx ON api_tokens (acting_org_id);

-- A request for an action that needs a second admin of the MSP. `request` is what to run
-- (JSON), `preview` what the dry run said it would do. `status`: pending, approved (and run),
-- rejected, failed (approved, but running it failed: `result` says why). A pending request
-- past `expires_at` is expired.
CREATE TABLE approvals (
    id           TEXT PRIMARY KEY,
    msp_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    action       TEXT NOT NULL,
    summary      TEXT NOT NULL,
    request      TEXT NOT NULL,
    preview      TEXT NOT NULL,
    requested_by TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'failed')),
    decided_by   TEXT REFERENCES users (id) ON DELETE SET NULL,
    decided_at   BIGINT,
    result       TEXT
);
CREATE INDEX approvals_msp_idx ON approvals (msp_id, created_at);
