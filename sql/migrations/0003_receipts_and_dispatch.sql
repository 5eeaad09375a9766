-- Delivery receipts matched to parts, replies, final states a receipt can give, and the evidence a
-- crashed dispatcher leaves (which dispatcher session was sending a row, since when).

ALTER TABLE messages DROP CONSTRAINT messages_status_check;
ALTER TABLE messages ADD CONSTRAINT messages_status_check
    CHECK (status IN ('queued', 'sending', 'submitted', 'delivered', 'failed', 'expired',
                      'unknown', 'undeliverable', 'rejected'));

-- A dispatcher session holds pg_advisory_lock(dispatch_lock_class, id) while it runs: a row in
-- `sending` whose session's lock is free was left by a process that died.
CREATE SEQUENCE dispatch_sessions;
ALTER TABLE messages ADD COLUMN dispatch_session bigint;
ALTER TABLE messages ADD COLUMN sent_at timestamptz;  -- when the current attempt was claimed
CREATE INDEX messages_sending ON messages (dispatch_session) WHERE status = 'sending';

-- The final receipt state of each part (DELIVRD, UNDELIV, ...); NULL until one came.
ALTER TABLE message_parts ADD COLUMN state text;
ALTER TABLE message_parts ADD COLUMN error_code text;

-- Which part a receipt was for; NULL while it matches none yet (it came before the part's
-- submit_sm_resp was recorded), filled when the part's SMSC id is recorded.
ALTER TABLE delivery_reports ADD COLUMN message_id bigint REFERENCES messages (id) ON DELETE CASCADE;
ALTER TABLE delivery_reports ADD COLUMN part_no integer;
CREATE INDEX delivery_reports_unmatched ON delivery_reports (connector, smsc_message_id)
    WHERE message_id IS NULL;
CREATE INDEX delivery_reports_message ON delivery_reports (message_id);
