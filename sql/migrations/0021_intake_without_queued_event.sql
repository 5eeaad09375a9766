-- The intake writes no `queued` event (issue #3).
--
-- Every message's history began with a `queued` event whose time is the message's created_at,
-- written by the intake's statement with two index entries: about a tenth of PostgreSQL's work per
-- accepted mail, for a fact the message's row already holds. The history a message is shown or
-- exported with (sql/admin_erasure.cpp) now begins with that fact, read from created_at; the
-- events table keeps what happens after: `sending`, outcomes, requeues (which have a detail and
-- stay), receipts and notifications.
--
-- The intake's rows are removed: a `queued` event without a detail at the message's creation.
DELETE FROM message_events e USING messages m
 WHERE e.message_id = m.id AND e.status = 'queued' AND e.detail = '' AND e.at = m.created_at;

-- 0015's check, with the counts the intake's statement now makes.
CREATE OR REPLACE FUNCTION intake_wrote_rows(wrote bigint[], meant bigint[]) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF wrote IS DISTINCT FROM meant THEN
    RAISE EXCEPTION 'group commit wrote % rows (messages, ledger, usage counters, charges, queue) where it meant %',
      wrote, meant USING ERRCODE = 'internal_error';
  END IF;
  RETURN true;
END
$$;
