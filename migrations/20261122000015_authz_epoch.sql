-- Bumped by every mutating transaction (its first statement, on the chain head it already
-- writes). Servers read it once per request to know whether the sessions, grants and org
-- paths they cached are still current (server/src/authz_cache.rs).
ALTER TABLE audit_head ADD COLUMN authz_epoch BIGINT NOT NULL DEFAULT 0;
