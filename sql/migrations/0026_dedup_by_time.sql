-- The dedup look-up reads a Message-ID's rows of the account's dedup window only. messages_dedup
-- held the account and the Message-ID, so for a sender that gives every mail the same Message-ID
-- (an alarm panel, a PBX) each mail's check read every row stored under that id, back to the
-- retention period; with the time in the index the window is the scan's bound.
DROP INDEX messages_dedup;
CREATE INDEX messages_dedup ON messages (account_id, mail_message_id, created_at)
    WHERE mail_message_id <> '';
