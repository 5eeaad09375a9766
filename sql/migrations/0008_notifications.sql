-- Delivery-status emails (DESIGN promise 2): per account, which final states are mailed and to
-- whom; an outbox that the trigger below fills in the transaction that writes the state, and
-- that the notifier in `serve` drains (FOR UPDATE SKIP LOCKED, a lease per claim).
ALTER TABLE accounts
    ADD COLUMN notify    text NOT NULL DEFAULT 'off' CHECK (notify IN ('off', 'failures', 'all')),
    -- 'sender': the mail's envelope sender (messages.mail_from); else an address
    ADD COLUMN notify_to text NOT NULL DEFAULT 'sender'
        CHECK (notify_to = 'sender' OR notify_to ~ '^[^@\s<>(),;:"\\]+@[^@\s<>(),;:"\\]+$');

CREATE TABLE notifications (
    id               bigserial PRIMARY KEY,
    message_id       bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    account_id       bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status           text NOT NULL,   -- the message's state it reports (failed, delivered, ...)
    rcpt_to          text NOT NULL,   -- where it goes
    state            text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'sent', 'given-up')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz
);
CREATE INDEX notifications_due ON notifications (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX notifications_message ON notifications (message_id);
CREATE INDEX notifications_created ON notifications (created_at);

-- Runs only for rows whose status changes to a state a notification reports (the WHEN clause
-- below: no call at all for queued/sending/submitted); then one primary-key look-up of the
-- account, and for accounts with notify = 'off' nothing more. No notification is written for
-- a mail with a null envelope sender (<>) or one from MAILER-DAEMON/postmaster-style senders:
-- answering them is how mail loops and backscatter start (RFC 3464 2, RFC 3834 2).
CREATE FUNCTION queue_notification() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    wanted text;
    target text;
    sender_local text := lower(split_part(NEW.mail_from, '@', 1));
BEGIN
    SELECT notify, notify_to INTO wanted, target FROM accounts WHERE id = NEW.account_id;
    IF wanted IS NULL OR wanted = 'off' OR (NEW.status = 'delivered' AND wanted <> 'all') THEN
        RETURN NULL;
    END IF;
    IF NEW.mail_from = '' OR position('@' IN NEW.mail_from) = 0
       OR sender_local IN ('mailer-daemon', 'postmaster', 'double-bounce', 'mail-daemon')
       OR sender_local LIKE 'owner-%' OR sender_local LIKE '%-request'
       OR sender_local LIKE 'bounce%' THEN
        RETURN NULL;
    END IF;
    IF target = 'sender' THEN
        target := NEW.mail_from;
    END IF;
    INSERT INTO notifications (message_id, account_id, status, rcpt_to)
        VALUES (NEW.id, NEW.account_id, NEW.status, target);
    PERFORM pg_notify('mail2sms_notifications', '');
    RETURN NULL;
END $$;

CREATE TRIGGER messages_notify AFTER UPDATE OF status ON messages
    FOR EACH ROW
    WHEN (NEW.status IS DISTINCT FROM OLD.status
          AND NEW.status IN ('delivered', 'failed', 'expired', 'undeliverable', 'rejected'))
    EXECUTE FUNCTION queue_notification();
