-- The dispatch queue out of messages' indexes (issue #6), so that the status updates of a
-- message (claim -> sending, outcome -> submitted, receipt -> delivered) can be HOT updates:
-- none of them may change a column an index of `messages` names, in its key or its predicate.
-- messages_due_order (WHERE status = 'queued') and messages_sending (dispatch_session, WHERE
-- status = 'sending') made every one of them write a new entry into each index of the table.

-- The messages waiting to be sent (status `queued`), by when they are due: one row each, written
-- in the transaction that makes a message `queued` (acceptance, a retry, requeue_unknown) and
-- deleted by the claim that takes it. The claim re-checks `messages.status = 'queued'` under the
-- row lock, so a row left behind for a message that is no longer queued only goes away unused.
-- No primary key and no foreign key: one index to write per row (a foreign key's ON DELETE
-- would need a second one, on message_id); the erasure of an account deletes its rows itself.
CREATE TABLE dispatch_queue (
    message_id  bigint NOT NULL,
    due_at      timestamptz NOT NULL
);
-- The claim takes rows in (due_at, message_id) order, LIMIT n: an index scan that stops after n.
CREATE INDEX dispatch_queue_due ON dispatch_queue (due_at, message_id);

-- The messages a dispatcher session has claimed and not yet recorded an outcome for (status
-- `sending`): inserted by the claim, deleted by the outcome (by the session that records it).
-- mark_interrupted finds the sessions with no process behind them here, not in `messages`.
-- Session 0 stands for "no session recorded" (rows from before 0003's dispatch_session); the
-- dispatch_sessions sequence starts at 1, so 0 is never a live session.
CREATE TABLE dispatch_inflight (
    session     bigint NOT NULL,
    message_id  bigint NOT NULL,
    PRIMARY KEY (session, message_id)
);

INSERT INTO dispatch_queue (message_id, due_at)
    SELECT id, next_attempt_at FROM messages WHERE status = 'queued';
INSERT INTO dispatch_inflight (session, message_id)
    SELECT COALESCE(dispatch_session, 0), id FROM messages WHERE status = 'sending';

-- next_attempt_at and dispatch_session stay, unindexed: the claim and the outcome still write
-- them, `messages show` and the in-doubt display read the session.
DROP INDEX messages_due_order;
DROP INDEX messages_sending;

-- Room on each page for the updated versions of its rows, so a status update can stay on the
-- row's page (a HOT update needs that too). Inserts from now on leave it; rows already stored
-- stay where they are, which matters only for those still to be updated (queued or in flight
-- now). A receipt's update of a part (state, error_code) is HOT too where it leaves query_at
-- as it was (NULL: no query_sm scheduled).
ALTER TABLE messages SET (fillfactor = 75);
ALTER TABLE message_parts SET (fillfactor = 85);
