-- mail2sms: the first schema. Accounts and their credentials, the message queue (one row per
-- recipient) with its parts, and the tables later features fill (ledger, audit, receipts, MO).

CREATE TABLE accounts (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    country     text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    sender_id   text NOT NULL DEFAULT '',
    max_parts   integer NOT NULL DEFAULT 10 CHECK (max_parts BETWEEN 1 AND 255),
    credit      bigint NOT NULL DEFAULT 0 CHECK (credit >= 0),
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- argon2id PHC strings (libsodium crypto_pwhash_str); a label per app password.
CREATE TABLE credentials (
    id          bigserial PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    label       text NOT NULL DEFAULT 'default',
    hash        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    UNIQUE (account_id, label)
);

CREATE TABLE messages (
    id               bigserial PRIMARY KEY,
    queue_id         text NOT NULL,
    account_id       bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    mail_from        text NOT NULL DEFAULT '',
    mail_message_id  text NOT NULL DEFAULT '',
    recipient        text NOT NULL,
    sender_id        text NOT NULL DEFAULT '',
    body             text,              -- purged after the retention period
    encoding         text NOT NULL CHECK (encoding IN ('gsm7', 'ucs2')),
    segments         integer NOT NULL CHECK (segments >= 1),
    status           text NOT NULL DEFAULT 'queued'
                     CHECK (status IN ('queued', 'sending', 'submitted', 'delivered', 'failed',
                                       'expired', 'unknown')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    connector        text,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_due ON messages (next_attempt_at) WHERE status = 'queued';
CREATE INDEX messages_queue_id ON messages (queue_id);
CREATE INDEX messages_account ON messages (account_id, created_at);

CREATE TABLE message_parts (
    message_id       bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    part_no          integer NOT NULL CHECK (part_no >= 1),
    udh              bytea NOT NULL,
    payload          bytea NOT NULL,
    smsc_message_id  text,
    PRIMARY KEY (message_id, part_no)
);
CREATE INDEX message_parts_smsc_id ON message_parts (smsc_message_id)
    WHERE smsc_message_id IS NOT NULL;

-- Every state change a message goes through, with the connector's words.
CREATE TABLE message_events (
    id          bigserial PRIMARY KEY,
    message_id  bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    status      text NOT NULL,
    detail      text NOT NULL DEFAULT '',
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX message_events_message ON message_events (message_id);

CREATE TABLE delivery_reports (
    id               bigserial PRIMARY KEY,
    smsc_message_id  text NOT NULL,
    connector        text NOT NULL,
    state            text NOT NULL,
    error_code       text NOT NULL DEFAULT '',
    received_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE inbound_messages (
    id           bigserial PRIMARY KEY,
    connector    text NOT NULL,
    source       text NOT NULL,
    destination  text NOT NULL,
    body         text,
    received_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE credit_ledger (
    id          bigserial PRIMARY KEY,
    account_id  bigint REFERENCES accounts (id) ON DELETE SET NULL,
    delta       bigint NOT NULL,
    reason      text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit_log (
    id       bigserial PRIMARY KEY,
    actor    text NOT NULL,
    action   text NOT NULL,
    subject  text NOT NULL DEFAULT '',
    detail   text NOT NULL DEFAULT '',
    at       timestamptz NOT NULL DEFAULT now()
);
