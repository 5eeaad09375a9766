-- Delivery-status mails (DESIGN promise 2): per account, which final states are mailed and to
-- whom; an outbox that the triggers below fill in the transaction that writes the state (or
-- stores the reply), and that the notifier in `serve` drains (FOR UPDATE SKIP LOCKED, a lease
-- per claim).
ALTER TABLE accounts
    ADD COLUMN notify    text NOT NULL DEFAULT 'off' CHECK (notify IN ('off', 'failures', 'all')),
    -- 'sender': the mail's envelope sender (messages.mail_from); else an address
    ADD COLUMN notify_to text NOT NULL DEFAULT 'sender'
        CHECK (notify_to = 'sender' OR notify_to ~ '^[^@\s<>(),;:"\\]+@[^@\s<>(),;:"\\]+$');

CREATE TABLE notifications (
    id               bigserial PRIMARY KEY,
    -- the message it reports on; for a reply, the message the reply answers
    message_id       bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    account_id       bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind             text NOT NULL DEFAULT 'status' CHECK (kind IN ('status', 'reply')),
    inbound_id       bigint REFERENCES inbound_messages (id) ON DELETE CASCADE,  -- a reply's
    status           text NOT NULL,   -- the state it reports (failed, delivered, ...), or 'reply'
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
CREATE INDEX notifications_inbound ON notifications (inbound_id) WHERE inbound_id IS NOT NULL;

-- Senders never answered (RFC 3464 2, RFC 3834 2): the null sender, an address without a
-- domain, and the MAILER-DAEMON/postmaster/list-manager names that loops start from.
CREATE FUNCTION notification_may_answer(mail_from text) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS $$
    SELECT mail_from <> '' AND position('@' IN mail_from) > 1
       -- a quoted local part ("MAILER-DAEMON"@x, "a> b"@x) is legal but never answered
       AND left(mail_from, 1) <> '"'
       AND lower(split_part(mail_from, '@', 1)) NOT IN
           ('mailer-daemon', 'postmaster', 'double-bounce', 'mail-daemon')
       AND lower(split_part(mail_from, '@', 1)) NOT LIKE 'owner-%'
       AND lower(split_part(mail_from, '@', 1)) NOT LIKE '%-request'
       AND lower(split_part(mail_from, '@', 1)) NOT LIKE 'bounce%'
$$;

-- Runs only for rows whose status changes to a state a notification reports (the WHEN clause
-- below: no call at all for queued/sending/submitted); then one primary-key look-up of the
-- account, and for accounts with notify = 'off' nothing more. No notification is written for
-- a mail from a sender notification_may_answer refuses.
CREATE FUNCTION queue_notification() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    wanted text;
    target text;
BEGIN
    SELECT notify, notify_to INTO wanted, target FROM accounts WHERE id = NEW.account_id;
    IF wanted IS NULL OR wanted = 'off' OR (NEW.status = 'delivered' AND wanted <> 'all') THEN
        RETURN NULL;
    END IF;
    IF NOT notification_may_answer(NEW.mail_from) THEN
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

-- Replies by mail: a reply (MO) from a number goes to the account that sent the newest message
-- to that number in the last 7 days, if that account has notify on; if it has not, to no one
-- (never to another account that wrote to the number earlier: the reply answers the newest).
-- Each account's look-up is an index probe of messages_account_recipient.
-- The number is compared in E.164: an SMSC's "27821234567" is "+27821234567"; a national
-- format source matches nothing. Written with the reply, in its transaction.
CREATE FUNCTION queue_reply_notification() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    number text := CASE WHEN NEW.source ~ '^[0-9]{4,15}$' THEN '+' || NEW.source
                        ELSE NEW.source END;
    answered record;
    target text;
BEGIN
    SELECT m.id, m.account_id, m.mail_from, a.notify, a.notify_to INTO answered
        FROM accounts a
        CROSS JOIN LATERAL (
            SELECT id, account_id, mail_from, created_at FROM messages
            WHERE account_id = a.id AND recipient = number
              AND created_at > now() - interval '7 days'
            ORDER BY created_at DESC, id DESC LIMIT 1) m
        ORDER BY m.created_at DESC, m.id DESC LIMIT 1;
    IF NOT FOUND OR answered.notify = 'off'
       OR NOT notification_may_answer(answered.mail_from) THEN
        RETURN NULL;
    END IF;
    target := CASE WHEN answered.notify_to = 'sender' THEN answered.mail_from
                   ELSE answered.notify_to END;
    INSERT INTO notifications (message_id, account_id, kind, inbound_id, status, rcpt_to)
        VALUES (answered.id, answered.account_id, 'reply', NEW.id, 'reply', target);
    PERFORM pg_notify('mail2sms_notifications', '');
    RETURN NULL;
END $$;

CREATE TRIGGER inbound_messages_notify AFTER INSERT ON inbound_messages
    FOR EACH ROW EXECUTE FUNCTION queue_reply_notification();
