-- Which account a reply is for, when none sent from the address it went to.
--
-- 0019 gave such a reply to the one account that had written to the number in the last 7 days,
-- unless the address was some account's sender ID now. An account erased (or one that changed
-- its sender ID) left its old sender ID to nobody, and a reply to it went to another account
-- that had written to the number from the shared default source: its text in that account's
-- export and its notification mailed there.
--
-- serve now stores with each reply the receiving connector's default source (default_source;
-- NULL when it has none to give: the connector has no `source`, or an older serve, or a row
-- written by hand). A message without a sender ID was sent from that default source, so:
--   - a message with a sender ID is answered at that sender ID; one without, at the default
--     source;
--   - when the default source is known and no message was sent from the address the reply went
--     to, the reply is nobody's: it answers a message none of the accounts still has;
--   - when it is not known, 0019's rule stands.
-- Addresses compare as numbers where both are (an SMSC may report one in national form, or
-- without its '+': the last nine digits decide when both have that many, else all of them), and
-- otherwise as text in any case: same_reply_address, the one place that rule is written.
ALTER TABLE inbound_messages ADD COLUMN default_source text;
ALTER TABLE inbound_parts ADD COLUMN default_source text;

CREATE FUNCTION same_reply_address(a text, b text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN ltrim(a, '+') ~ '^[0-9]{9,}$' AND ltrim(b, '+') ~ '^[0-9]{9,}$'
            THEN right(a, 9) = right(b, 9)
        ELSE ltrim(a, '+') <> '' AND lower(ltrim(a, '+')) = lower(ltrim(b, '+'))
    END
$$;

CREATE FUNCTION reply_attribution(source text, destination text, default_source text,
                                  since timestamptz, until timestamptz)
RETURNS TABLE (message_id bigint, account_id bigint, mail_from text, notify text,
               notify_to text)
LANGUAGE sql STABLE AS $$
    WITH asked AS (
        SELECT CASE WHEN source ~ '^[0-9]{4,15}$' THEN '+' || source ELSE source END AS number,
               coalesce(destination, '') AS sent_to,
               -- whether the reply went to the default source; NULL: not known
               CASE WHEN coalesce(default_source, '') <> ''
                    THEN same_reply_address(coalesce(destination, ''), default_source) END
                 AS to_default_source
    ), newest AS (
        SELECT m.id, m.account_id, m.mail_from, a.notify, a.notify_to,
               same_reply_address(m.sender_id, q.sent_to)
               OR (q.to_default_source IS TRUE AND m.sender_id = '') AS sent_from_there
        FROM asked q CROSS JOIN accounts a
        CROSS JOIN LATERAL (
            SELECT id, account_id, mail_from, sender_id FROM messages
            WHERE account_id = a.id AND recipient = q.number
              AND created_at > since AND created_at <= until
            ORDER BY created_at DESC, id DESC LIMIT 1) m
    ), remaining AS (
        SELECT * FROM newest
        WHERE sent_from_there
           OR (NOT EXISTS (SELECT 1 FROM newest WHERE sent_from_there)
               AND (SELECT to_default_source IS NULL OR ltrim(sent_to, '+') = '' FROM asked))
    )
    SELECT id, account_id, mail_from, notify, notify_to FROM remaining
    WHERE (SELECT count(*) FROM remaining) = 1
      AND (sent_from_there OR NOT EXISTS (
          SELECT 1 FROM asked q JOIN accounts o ON same_reply_address(o.sender_id, q.sent_to)))
$$;

-- The account found is held (FOR KEY SHARE, as the foreign key will) before the row is written.
-- An erasure that has taken the account and deleted its messages, and not yet committed, is
-- waited for; the account is then gone, and the reply is attributed again without it. Before,
-- the reply was attributed from a snapshot that still had the erased messages, its foreign key
-- check then failed, and the whole batch of replies it came in with was refused to the SMSC.
-- An erasure that comes later waits for this transaction instead (it takes the account first).
CREATE OR REPLACE FUNCTION attribute_reply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    found_account bigint;
BEGIN
    IF NEW.account_id IS NULL THEN
        FOR attempt IN 1..3 LOOP
            found_account := (
                SELECT r.account_id
                FROM reply_attribution(NEW.source, NEW.destination, NEW.default_source,
                                       now() - interval '7 days', 'infinity') r);
            EXIT WHEN found_account IS NULL;
            PERFORM 1 FROM accounts WHERE id = found_account FOR KEY SHARE;
            IF FOUND THEN
                NEW.account_id := found_account;
                EXIT;
            END IF;
        END LOOP;
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION queue_reply_notification() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    answered record;
    target text;
BEGIN
    IF NEW.account_id IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT * INTO answered
    FROM reply_attribution(NEW.source, NEW.destination, NEW.default_source,
                           now() - interval '7 days', 'infinity');
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

DROP FUNCTION reply_attribution(text, text, timestamptz, timestamptz);
