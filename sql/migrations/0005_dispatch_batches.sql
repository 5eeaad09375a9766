-- Dispatch in batches (issue #6): outcomes and receipts are written a batch per statement, and
-- receipts are matched to parts without a lock per part (sql/dispatch_batches.cpp says how).

-- The recovery sweep looks again at the receipts still unmatched from the last hours (a process
-- that stopped between committing a batch and its second look leaves some); unmatched ones
-- also include every duplicate and foreign receipt ever stored, so it needs their time.
-- `part_no IS NULL` is redundant (both are set together) and only the sweep says it: lookups of
-- one receipt by id say `message_id IS NULL` alone and must not be planned as a scan of this.
CREATE INDEX delivery_reports_unmatched_recent ON delivery_reports (received_at, id)
    WHERE message_id IS NULL AND part_no IS NULL;

-- The claim takes due messages in (next_attempt_at, id) order, LIMIT n: with id in the index
-- that is an index scan that stops after n rows, instead of sorting every due message.
CREATE INDEX messages_due_order ON messages (next_attempt_at, id) WHERE status = 'queued';
DROP INDEX messages_due;

-- An SMSC id names one part (a receipt or two per part). Said here rather than left to ANALYZE:
-- on a busy queue the statistics are often from when most parts had no id yet, and then every
-- lookup by id was planned as if it matched hundreds of rows (bitmap scans, hash joins over the
-- whole table, and a cost high enough to have the statement JIT-compiled on every batch).
ALTER TABLE message_parts ALTER COLUMN smsc_message_id SET (n_distinct = -1);
ALTER TABLE delivery_reports ALTER COLUMN smsc_message_id SET (n_distinct = -0.5);
