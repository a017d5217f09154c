-- Members: one-time invitations, and the sign-in failures that throttle password guessing.

-- An invitation to set a password and sign in, for a member added without one. Only the SHA-256 of
-- the token is kept; the token itself is handed to the admin once, inside the invite URL.
CREATE TABLE invites (
    org_id      uuid NOT NULL,
    id          uuid NOT NULL,
    user_id     uuid NOT NULL,
    token_hash  bytea NOT NULL CHECK (length(token_hash) = 32),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    -- Removing the member withdraws the invitation.
    FOREIGN KEY (org_id, user_id) REFERENCES memberships (org_id, user_id) ON DELETE CASCADE
);
CREATE INDEX invites_hash_idx ON invites (token_hash);

-- Sign-in attempts that failed, or are still being checked: an attempt is written before the
-- password is verified and struck off when it succeeds, so that concurrent guesses all count. The
-- counts live here rather than in process memory because every server process shares them.
-- `scope` says what `subject` is: an account's email, or a client address. Not a tenant table:
-- sign-in happens before any organization is known.
CREATE TABLE sign_in_attempts (
    scope         text NOT NULL CHECK (scope IN ('account', 'address')),
    subject       text NOT NULL,
    id            uuid NOT NULL,
    attempted_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, subject, id)
);
CREATE INDEX sign_in_attempts_window_idx ON sign_in_attempts (scope, subject, attempted_at);
CREATE INDEX sign_in_attempts_age_idx ON sign_in_attempts (attempted_at);

-- Removing a member deletes the sessions bound to that membership.
CREATE INDEX sessions_member_idx ON sessions ((data ->> 'org_id'), (data ->> 'user_id'));
