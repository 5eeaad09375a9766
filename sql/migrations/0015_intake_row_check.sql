-- The intake's write statement checks its own row counts (issue #3).
--
-- The group commit sends its write statement and the COMMIT in one flight (libpq's pipeline
-- mode, sql/pipeline.hpp): a round trip less per transaction, in a chain that one account's
-- mails wait for one after the other. So the check that the statement wrote every row it was
-- given (one message, event and dispatch_queue row per recipient sent to, one ledger row per
-- charged mail, the usage counters, the charges) can no longer be made by the client between
-- the statement and the COMMIT: the statement makes it, and fails (rolling the batch back, so
-- no client hears 250 for a mail without all its rows) when a count is not the one meant.
CREATE FUNCTION intake_wrote_rows(wrote bigint[], meant bigint[]) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF wrote IS DISTINCT FROM meant THEN
    RAISE EXCEPTION 'group commit wrote % rows (messages, events, ledger, usage counters, charges, queue) where it meant %',
      wrote, meant USING ERRCODE = 'internal_error';
  END IF;
  RETURN true;
END
$$;
