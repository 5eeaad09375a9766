-- The postmaster's mailbox (0018), bounded and forwarded.
--
-- Bounded: postmaster_mailbox holds how much of [smtp] postmaster_mailbox_size is used, each mail
-- counting its size and 1 KiB more (its row, its client, HELO and sender, its index entries), so
-- that empty mails fill it too. serve adds to it in the statement that stores a mail, and only if
-- the mail fits: one row lock, where 0018's check summed the whole table under a table lock (a
-- flood of empty mails made each delivery slower, and was never refused). Every deletion (the
-- CLI, the retention purge, an account's erasure) gives the room back.
--
-- Forwarded: to a person ([notifications] postmaster_to) through the notifications relay.
-- forward_to is where serve was told to send it when the mail came (NULL: nowhere);
-- forward_next_at when it is due (NULL once forwarded or given up); forward_detail the relay's
-- last words (or why it was given up).
-- No mail is delivered or deleted while the total is first counted and the trigger made.
LOCK TABLE postmaster_mail IN SHARE ROW EXCLUSIVE MODE;

CREATE TABLE postmaster_mailbox (
    one   boolean PRIMARY KEY DEFAULT true CHECK (one),
    used  bigint NOT NULL CHECK (used >= 0)
);
INSERT INTO postmaster_mailbox (used)
    SELECT coalesce(sum(size + 1024), 0) FROM postmaster_mail;

CREATE FUNCTION postmaster_mail_released() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE postmaster_mailbox SET used = greatest(used - (OLD.size + 1024), 0);
    RETURN NULL;
END $$;
CREATE TRIGGER postmaster_mail_deleted AFTER DELETE ON postmaster_mail
    FOR EACH ROW EXECUTE FUNCTION postmaster_mail_released();

ALTER TABLE postmaster_mail
    ADD COLUMN forward_to       text,
    ADD COLUMN forward_attempts integer NOT NULL DEFAULT 0,
    ADD COLUMN forward_next_at  timestamptz,
    ADD COLUMN forwarded_at     timestamptz,
    ADD COLUMN forward_detail   text NOT NULL DEFAULT '';
CREATE INDEX postmaster_mail_forward_due ON postmaster_mail (forward_next_at, id)
    WHERE forward_next_at IS NOT NULL;
