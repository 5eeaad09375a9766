-- Accounts as the issue "only the account holder sends, on credit, to the numbers they may reach"
-- needs them: settings, the ways a sender proves who they are, contact groups, credit reservation
-- with refunds, rate limits, the dedup window, retention and erasure.

-- Settings. Limits of 0 mean "no limit"; an empty countries list means the account's own country.
ALTER TABLE accounts
    ADD COLUMN subject             text NOT NULL DEFAULT 'body'
        CHECK (subject IN ('body', 'subject', 'subject-and-body')),
    ADD COLUMN timezone            text NOT NULL DEFAULT 'UTC',
    ADD COLUMN credit_policy       text NOT NULL DEFAULT 'defer'
        CHECK (credit_policy IN ('defer', 'fail')),
    ADD COLUMN too_long            text NOT NULL DEFAULT 'refuse'
        CHECK (too_long IN ('refuse', 'truncate')),
    ADD COLUMN countries           text[] NOT NULL DEFAULT '{}',
    ADD COLUMN number_types        text[] NOT NULL DEFAULT '{mobile,fixed-line-or-mobile}',
    ADD COLUMN messages_per_minute integer NOT NULL DEFAULT 0 CHECK (messages_per_minute >= 0),
    ADD COLUMN segments_per_day    integer NOT NULL DEFAULT 0 CHECK (segments_per_day >= 0),
    ADD COLUMN per_number_per_hour integer NOT NULL DEFAULT 0 CHECK (per_number_per_hour >= 0),
    ADD COLUMN dedup_seconds       integer NOT NULL DEFAULT 86400 CHECK (dedup_seconds >= 0),
    ADD COLUMN clean_text          boolean NOT NULL DEFAULT true,
    ADD COLUMN end_marker          text NOT NULL DEFAULT '',
    ADD COLUMN disclaimers         text[] NOT NULL DEFAULT '{}',
    ADD COLUMN smart_gsm           boolean NOT NULL DEFAULT true,
    ADD COLUMN transliterate       boolean NOT NULL DEFAULT false;

-- App passwords are named (label) and revocable; a label is reused only after its revocation.
ALTER TABLE credentials DROP CONSTRAINT credentials_account_id_label_key;
CREATE UNIQUE INDEX credentials_live_label ON credentials (account_id, label) WHERE revoked_at IS NULL;
ALTER TABLE credentials ADD COLUMN last_used_at timestamptz;

-- Allowed sender addresses: 'ops@example.com' or '*@example.com' (lower case). They restrict
-- MAIL FROM and From: of a session already tied to the account; they never authenticate.
CREATE TABLE account_senders (
    id          bigserial PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    pattern     text NOT NULL CHECK (pattern ~ '^(\*|[^@*\s]+)@[^@*\s]+$'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, pattern)
);

-- TLS client certificates: the SHA-256 fingerprint (lower-case hex) of a certificate an appliance
-- presents. One certificate identifies one account.
CREATE TABLE account_certificates (
    id           bigserial PRIMARY KEY,
    account_id   bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    fingerprint  text NOT NULL UNIQUE CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
    subject      text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- Contacts and groups: GROUP@DOMAIN expands to the group's members.
CREATE TABLE contacts (
    id          bigserial PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    number      text NOT NULL CHECK (number ~ '^\+[1-9][0-9]{3,14}$'),
    name        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, number)
);

CREATE TABLE contact_groups (
    id          bigserial PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- a mailbox name that cannot be read as a phone number; stored lower case
    name        text NOT NULL CHECK (name ~ '^[a-z][a-z0-9._-]{0,63}$'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, name)
);

CREATE TABLE group_members (
    group_id    bigint NOT NULL REFERENCES contact_groups (id) ON DELETE CASCADE,
    contact_id  bigint NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, contact_id)
);

-- What each message cost (segments x the destination's price), refunded once if it fails for good.
ALTER TABLE messages ADD COLUMN cost bigint NOT NULL DEFAULT 0 CHECK (cost >= 0);
-- The per-number velocity limit looks back over one account's recent messages to one number;
-- the dedup window looks for one Message-ID (a number that gets many mails must not make every
-- dedup lookup read all of them).
CREATE INDEX messages_account_recipient ON messages (account_id, recipient, created_at);
CREATE INDEX messages_dedup ON messages (account_id, mail_message_id) WHERE mail_message_id <> '';

-- Rate-limit windows: messages this minute, segments this day (in the account's time zone).
CREATE TABLE usage_counters (
    account_id    bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind IN ('minute', 'day')),
    window_start  timestamp NOT NULL,
    used          bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, kind, window_start)
);

ALTER TABLE credit_ledger ADD COLUMN balance bigint;  -- the balance after this change
ALTER TABLE credit_ledger ADD COLUMN queue_id text;   -- the mail a reservation or refund is for
CREATE INDEX credit_ledger_account ON credit_ledger (account_id, at);

ALTER TABLE audit_log ADD COLUMN account_id bigint REFERENCES accounts (id) ON DELETE SET NULL;
ALTER TABLE audit_log ADD COLUMN client text NOT NULL DEFAULT '';
CREATE INDEX audit_log_account ON audit_log (account_id, at);

-- A message that fails for good gives its credit back, whichever path (dispatcher, receipt,
-- expiry) wrote the final state; the cost is zeroed so it is refunded once.
CREATE FUNCTION refund_failed_message() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    after_refund bigint;
BEGIN
    UPDATE accounts SET credit = credit + NEW.cost WHERE id = NEW.account_id
        RETURNING credit INTO after_refund;
    INSERT INTO credit_ledger (account_id, delta, reason, balance, queue_id)
        VALUES (NEW.account_id, NEW.cost, 'refund: message ' || NEW.id || ' ' || NEW.status,
                after_refund, NEW.queue_id);
    UPDATE messages SET cost = 0 WHERE id = NEW.id;
    RETURN NULL;
END $$;

CREATE TRIGGER messages_refund AFTER UPDATE OF status ON messages
    FOR EACH ROW
    WHEN (NEW.cost > 0
          AND NEW.status IN ('failed', 'expired', 'undeliverable', 'rejected')
          AND OLD.status NOT IN ('failed', 'expired', 'undeliverable', 'rejected'))
    EXECUTE FUNCTION refund_failed_message();
