-- Concatenated replies. Each part of a reply that arrives in several deliver_sm is kept here
-- (and acknowledged to the SMSC once committed) until its reply's last part arrives; then the
-- reply is stored whole in inbound_messages and its parts marked done (their texts erased), in
-- one transaction. Done parts stay for [dispatch] reply_parts_wait, so that a part the SMSC
-- sends again (its deliver_sm_resp was lost) is recognised and ignored; then they are deleted.
-- A reply still missing parts after reply_parts_wait is stored as it is, with the numbers of its
-- missing parts.
CREATE TABLE inbound_parts (
    connector    text NOT NULL,
    source       text NOT NULL,
    destination  text NOT NULL,
    reference    integer NOT NULL CHECK (reference BETWEEN 0 AND 65535),
    total        integer NOT NULL CHECK (total BETWEEN 2 AND 255),
    part_no      integer NOT NULL CHECK (part_no BETWEEN 1 AND total),
    body         text,              -- purged after the retention period; NULL once done
    received_at  timestamptz NOT NULL DEFAULT now(),
    done         boolean NOT NULL DEFAULT false,  -- its reply was stored whole
    PRIMARY KEY (connector, source, destination, reference, total, part_no)
);
CREATE INDEX inbound_parts_received ON inbound_parts (received_at);

ALTER TABLE inbound_messages
    ADD COLUMN parts          integer NOT NULL DEFAULT 1 CHECK (parts BETWEEN 1 AND 255),
    ADD COLUMN parts_missing  integer[] NOT NULL DEFAULT '{}';
