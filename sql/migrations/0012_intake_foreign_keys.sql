-- No foreign key from a message's parts and events to the message (issue #3).
--
-- Every row inserted into a table with a foreign key runs a check of its own in PostgreSQL (a
-- trigger that looks the parent up, FOR KEY SHARE): a 1 KiB mail is one message, seven parts and
-- a `queued` event, so eight of the ten checks the intake ran per mail were these two keys, for
-- a message inserted by the same statement. In perf on the SMTP load benchmark the checks were
-- about a fifth of PostgreSQL's time; without them PostgreSQL spent 121-132 us per mail instead of
-- 148-175 (bench/smtp_compare.py; docs/PERFORMANCE.md).
--
-- What the keys did is done by the code that writes and deletes:
--   - parts and events are only inserted for a message the same statement inserts (the group
--     commit) or one a claim or an outcome holds locked (the dispatcher, the receipts);
--   - a message is only deleted with its account, and admin::delete_account deletes the
--     account's parts and events first, as it does the dispatch queue's rows (0010).
-- tests/integration/dispatch_queue_test.cpp checks that erasure leaves no part or event behind.
-- The keys from messages to accounts and from the ledger to accounts stay (one check each per
-- mail), as do those of delivery reports and notifications (not written per mail accepted).
ALTER TABLE message_parts DROP CONSTRAINT message_parts_message_id_fkey;
ALTER TABLE message_events DROP CONSTRAINT message_events_message_id_fkey;
