-- Idempotent creates (issue 7): a client that sends `Idempotency-Key` on a creating POST gets the
-- first answer back when it retries, instead of a second row. The key is claimed, and the answer
-- stored, in the transaction of the write itself, so a key is never recorded for a write that
-- did not happen, nor a write made without its key. Concurrent requests with one key queue on the
-- primary key until the first commits (or rolls back and frees the key).

CREATE TABLE idempotency_keys (
    org_id       uuid NOT NULL,
    user_id      uuid NOT NULL,
    key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    -- SHA-256 of the method, path and body: a key reused for another request is refused.
    fingerprint  bytea NOT NULL CHECK (length(fingerprint) = 32),
    -- The first answer, written before the transaction commits (null only inside it).
    status       smallint,
    version      bigint,
    body         jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, user_id, key),
    -- A removed member's keys go with the membership.
    FOREIGN KEY (org_id, user_id) REFERENCES memberships (org_id, user_id) ON DELETE CASCADE
);
-- Keys are kept for a day; the sweep finds the old ones of an organization by age.
CREATE INDEX idempotency_keys_age_idx ON idempotency_keys (org_id, created_at);
