-- Tenants imported from an RMM/PSA/directory export keep the source system's id, scoped to
-- the org that imported them, so re-importing the same file matches instead of duplicating.
CREATE TABLE org_external_ids (
    scope_org_id TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    external_id  TEXT NOT NULL,
    org_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (scope_org_id, external_id)
);
CREATE INDEX org_external_ids_org_idx ON org_external_ids (org_id);
