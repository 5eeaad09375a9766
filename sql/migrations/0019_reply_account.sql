-- A reply belongs to the account it is attributed to, whether or not that account has notify on:
-- it is in the account's export, and erased with the account (ON DELETE CASCADE). Before, replies
-- had no account: an export left them out, and `account delete` left them until the retention
-- purge erased their texts.
--
-- The attribution is 0017's, now one function for both triggers, with one more rule: each
-- account's newest message to the number sent in the window; of those, the ones sent from the
-- address the reply went to, if any were; the reply is the account's only if exactly one
-- remains. New: when none was sent from that address but it is an account's sender ID, the
-- reply is nobody's (0017 gave a reply to one account's number to another account that had
-- written to the number from elsewhere, when the first had written more than 7 days before). A
-- reply no account can be told from has none, and its text goes with the retention purge.
CREATE FUNCTION reply_attribution(source text, destination text, since timestamptz,
                                  until timestamptz)
RETURNS TABLE (message_id bigint, account_id bigint, mail_from text, notify text,
               notify_to text)
LANGUAGE sql STABLE AS $$
    WITH asked AS (
        SELECT CASE WHEN source ~ '^[0-9]{4,15}$' THEN '+' || source ELSE source END AS number,
               lower(ltrim(coalesce(destination, ''), '+')) AS sent_to
    ), newest AS (
        SELECT m.id, m.account_id, m.mail_from, a.notify, a.notify_to,
               q.sent_to <> '' AND lower(ltrim(m.sender_id, '+')) = q.sent_to AS sent_from_there
        FROM asked q CROSS JOIN accounts a
        CROSS JOIN LATERAL (
            SELECT id, account_id, mail_from, sender_id FROM messages
            WHERE account_id = a.id AND recipient = q.number
              AND created_at > since AND created_at <= until
            ORDER BY created_at DESC, id DESC LIMIT 1) m
    ), remaining AS (
        SELECT * FROM newest
        WHERE sent_from_there OR NOT EXISTS (SELECT 1 FROM newest WHERE sent_from_there)
    )
    SELECT id, account_id, mail_from, notify, notify_to FROM remaining
    WHERE (SELECT count(*) FROM remaining) = 1
      AND (sent_from_there OR NOT EXISTS (
          SELECT 1 FROM asked q JOIN accounts o
            ON q.sent_to <> '' AND o.sender_id <> '' AND lower(ltrim(o.sender_id, '+')) = q.sent_to))
$$;

ALTER TABLE inbound_messages
    ADD COLUMN account_id bigint REFERENCES accounts (id) ON DELETE CASCADE;
CREATE INDEX inbound_messages_account ON inbound_messages (account_id)
    WHERE account_id IS NOT NULL;

-- Set before the row is written (the notification trigger, after it, reads it).
CREATE FUNCTION attribute_reply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.account_id IS NULL THEN
        SELECT r.account_id INTO NEW.account_id
        FROM reply_attribution(NEW.source, NEW.destination, now() - interval '7 days',
                               'infinity') r;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER inbound_messages_account BEFORE INSERT ON inbound_messages
    FOR EACH ROW EXECUTE FUNCTION attribute_reply();

-- 0017's rule, through the function: mailed to the one account the reply is for, if it has
-- notify on and its sender may be answered.
CREATE OR REPLACE FUNCTION queue_reply_notification() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    answered record;
    target text;
BEGIN
    IF NEW.account_id IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT * INTO answered
    FROM reply_attribution(NEW.source, NEW.destination, now() - interval '7 days', 'infinity');
    IF NOT FOUND OR answered.account_id <> NEW.account_id OR answered.notify = 'off'
       OR NOT notification_may_answer(answered.mail_from) THEN
        RETURN NULL;
    END IF;
    target := CASE WHEN answered.notify_to = 'sender' THEN answered.mail_from
                   ELSE answered.notify_to END;
    INSERT INTO notifications (message_id, account_id, kind, inbound_id, status, rcpt_to)
        VALUES (answered.message_id, answered.account_id, 'reply', NEW.id, 'reply', target);
    PERFORM pg_notify('mail2sms_notifications', '');
    RETURN NULL;
END $$;

-- The replies already kept: only those mailed to an account (their notification names it). The
-- rule above, run again now, could give a reply to the wrong account: the one it was for may
-- have been deleted since, with its messages. The others are nobody's, and go with the purge.
UPDATE inbound_messages i SET account_id = n.account_id
    FROM notifications n WHERE n.inbound_id = i.id AND n.kind = 'reply';
