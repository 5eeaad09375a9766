-- A message's SMS parts in its own row; message_parts rows only for parts that were sent
-- (issue #3).
--
-- The intake wrote a message_parts row per part (a 1 KiB mail: seven rows and seven primary-key
-- entries, for one message row) in the transaction every SMTP client waits for. bench/intake_cpu.py
-- with a scratch build that wrote no part rows at all: PostgreSQL's CPU per mail, as a ratio to
-- the client's, 26 % lower. The parts now go into messages.parts, packed (sql/stored_parts.hpp:
-- for each part, an octet with the UDH's length, the UDH, an octet with the payload's length,
-- the payload), and the dispatcher's claim reads them from there.
--
-- message_parts keeps what happens to a part once it is sent: the outcome of a submission
-- inserts its parts' rows with their SMSC ids (it updated them before; that update changed an
-- indexed column, so it wrote a new row version and index entries anyway: the outcome costs
-- what it did, and the intake no longer writes the rows it replaced). A message not sent yet has
-- no part rows; `messages show` lists its parts 1..segments all the same.
ALTER TABLE messages ADD COLUMN parts bytea;  -- purged after the retention period, as body is

-- The messages that may still be sent (queued; sending or unknown, to be resent) get their parts
-- from their part rows. The payloads of the others are not read again (a sent part is never sent
-- twice, and the retention purge would blank them): they go with the columns.
UPDATE messages m SET parts = p.packed
FROM (SELECT message_id,
             string_agg(set_byte('\x00'::bytea, 0, octet_length(udh)) || udh ||
                        set_byte('\x00'::bytea, 0, octet_length(payload)) || payload,
                        ''::bytea ORDER BY part_no) AS packed
      FROM message_parts GROUP BY message_id) p
WHERE m.id = p.message_id AND m.status IN ('queued', 'sending', 'unknown');

ALTER TABLE message_parts DROP COLUMN udh, DROP COLUMN payload;

-- A 1 KiB mail's row is now about 2.3 kB (its text and its packed parts), over the 2 kB at which
-- PostgreSQL compresses a row's values (pglz) and moves them out of line into the TOAST table.
-- That compression cost back most of what the part rows had cost (the same scratch build with
-- the default: 3 % less CPU per mail instead of 20 %). A row is compressed from 8,160 bytes on
-- (a page holds one such row): a message with a long text still is.
ALTER TABLE messages SET (toast_tuple_target = 8160);
