-- Replies by mail, attributed only where the reply says whose it is (0008's rule, narrowed).
--
-- 0008 mailed a reply to the account that sent the newest message to the number in the last 7
-- days. When two accounts had written to one number, a reply meant for the first went to the
-- second: one tenant's correspondence disclosed to another.
--
-- Now each account's newest message to the number in the last 7 days is a candidate. If some
-- candidates were sent from the address the reply went to (their sender ID equals the reply's
-- destination, case and a leading '+' aside), only those remain. The reply is mailed only if
-- exactly one account remains, and that account has notify on; otherwise to no one. It is
-- stored either way, and erased with the other texts after [retention] body_days.
--
-- One account writing to a number, as before: its reply. Accounts with sender IDs of their own
-- (a number each): each reply to its own account. Accounts sharing one sender ID: their replies
-- are mailed to no one.
CREATE OR REPLACE FUNCTION queue_reply_notification() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    number text := CASE WHEN NEW.source ~ '^[0-9]{4,15}$' THEN '+' || NEW.source
                        ELSE NEW.source END;
    sent_to text := lower(ltrim(coalesce(NEW.destination, ''), '+'));
    answered record;
    target text;
BEGIN
    WITH newest AS (
        SELECT m.id, m.account_id, m.mail_from, m.created_at, a.notify, a.notify_to,
               sent_to <> '' AND lower(ltrim(m.sender_id, '+')) = sent_to AS sent_from_there
        FROM accounts a
        CROSS JOIN LATERAL (
            SELECT id, account_id, mail_from, sender_id, created_at FROM messages
            WHERE account_id = a.id AND recipient = number
              AND created_at > now() - interval '7 days'
            ORDER BY created_at DESC, id DESC LIMIT 1) m
    ), remaining AS (
        SELECT * FROM newest
        WHERE sent_from_there OR NOT EXISTS (SELECT 1 FROM newest WHERE sent_from_there)
    )
    SELECT r.*, (SELECT count(*) FROM remaining) AS accounts INTO answered
        FROM remaining r LIMIT 1;
    IF NOT FOUND OR answered.accounts <> 1 OR answered.notify = 'off'
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
