-- The SMPP sequence number per part, and query_sm for receipts that never came (issue #6).

-- A claim gives each message a block of 256 sequence numbers (a message has at most 255 parts:
-- the UDH's part count is one octet): the first part's is nextval * 256, part n's that plus
-- n - 1. So numbers stay within 0x100..0x3FFFFFFF, below the range the SMPP client takes for
-- its own requests (bind, enquire_link, unbind, query_sm: 0x40000000 and up), and are unique
-- across every `serve` process on this database until the sequence cycles (4,194,303 claims).
-- One nextval and one column of the messages row the claim writes anyway: the parts' rows
-- (with their payloads) are not rewritten on the hot path.
CREATE SEQUENCE smpp_sequence_blocks MINVALUE 1 MAXVALUE 4194303 CYCLE;
ALTER TABLE messages ADD COLUMN smpp_sequence integer;  -- the last claim's first part's

-- query_sm: when to ask the SMSC next about a submitted part that has no final receipt, and how
-- often it was asked. NULL: not to be asked (no query_after on its connector, a final state,
-- or the asking ended). Indexed only where set, so connectors without query_after add nothing.
ALTER TABLE message_parts ADD COLUMN query_at timestamptz;
ALTER TABLE message_parts ADD COLUMN queries integer NOT NULL DEFAULT 0;
CREATE INDEX message_parts_query_due ON message_parts (query_at) WHERE query_at IS NOT NULL;
