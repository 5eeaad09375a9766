-- Concatenated replies. Each part of a reply that arrives in several deliver_sm is kept here
-- (and acknowledged to the SMSC once committed) until its reply's last part arrives; then the
-- reply is stored whole in inbound_messages and its parts deleted, in one transaction. A reply
-- still missing parts after [dispatch] reply_parts_wait is stored as it is, with the numbers of
-- its missing parts.
CREATE TABLE inbound_parts (
    connector    text NOT NULL,
    source       text NOT NULL,
    destination  text NOT NULL,
    reference    integer NOT NULL CHECK (reference BETWEEN 0 AND 65535),
    total        integer NOT NULL CHECK (total BETWEEN 2 AND 255),
    part_no      integer NOT NULL CHECK (part_no BETWEEN 1 AND total),
    body         text,              -- purged after the retention period
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (connector, source, destination, reference, total, part_no)
);
CREATE INDEX inbound_parts_received ON inbound_parts (received_at);

ALTER TABLE inbound_messages
    ADD COLUMN parts          integer NOT NULL DEFAULT 1 CHECK (parts BETWEEN 1 AND 255),
    ADD COLUMN parts_missing  integer[] NOT NULL DEFAULT '{}';
