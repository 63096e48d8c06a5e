-- Tags of an MSP, put on its customers and child tenants; technician scopes (admin on all of
-- an MSP's customers except a list, or on every org carrying a tag).
CREATE TABLE tags (
    id         TEXT PRIMARY KEY,
    msp_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    name_key   TEXT NOT NULL,
    color      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (msp_id, name_key)
);

CREATE TABLE org_tags (
    org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    tag_id     TEXT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, tag_id)
);
CREATE INDEX org_tags_tag_idx ON org_tags (tag_id);

-- One scope per technician and MSP; `tag_id` is set for kind 'tag' only.
CREATE TABLE technician_scopes (
    msp_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('all_except', 'tag')),
    tag_id     TEXT REFERENCES tags (id) ON DELETE CASCADE,
    granted_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (msp_id, user_id)
);
CREATE INDEX technician_scopes_user_idx ON technician_scopes (user_id);

CREATE TABLE technician_scope_exclusions (
    msp_id  TEXT NOT NULL,
    user_id TEXT NOT NULL,
    org_id  TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    PRIMARY KEY (msp_id, user_id, org_id),
    FOREIGN KEY (msp_id, user_id) REFERENCES technician_scopes (msp_id, user_id) ON DELETE CASCADE
);
