-- API tokens (stored hashed) and the audit log of every change made
-- through Atlante.

-- +goose Up
CREATE TABLE api_tokens (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text NOT NULL CHECK (name <> ''),
    role         text NOT NULL CHECK (role IN ('admin', 'editor', 'validator', 'private-reader')),
    -- ISTAT codes the token may act on; admin tokens ignore it
    comuni       text[] NOT NULL DEFAULT '{}',
    -- SHA-256 of the secret; the secret itself is shown once and never stored
    hash         bytea NOT NULL UNIQUE,
    -- the first characters of the secret, to recognise a token in lists
    prefix       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    last_used_at timestamptz
);

CREATE TABLE audit_log (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    token_id   bigint REFERENCES api_tokens (id),
    actor      text NOT NULL,
    action     text NOT NULL CHECK (action IN ('create', 'replace', 'update', 'delete', 'transition', 'import')),
    collection text NOT NULL,
    object_id  text,
    istat_code text,
    before     jsonb,
    after      jsonb,
    reason     text
);
CREATE INDEX audit_log_object_idx ON audit_log (collection, object_id);
CREATE INDEX audit_log_comune_idx ON audit_log (istat_code, at);

-- +goose Down
DROP TABLE IF EXISTS audit_log, api_tokens;
