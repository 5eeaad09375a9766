-- Mail to the postmaster (RFC 5321 4.5.1: "RCPT TO:<Postmaster>" and postmaster@ each of the
-- domains MUST be accepted, from any client). Kept whole for the operator (`mail2sms postmaster
-- list | show | delete`), never converted or sent; deleted after [retention] body_days, and with
-- the account that wrote it. `size` is octet_length(message), kept so that the mailbox's total
-- (serve refuses mail beyond [smtp] postmaster_mailbox_size) is a sum over a small column.
CREATE TABLE postmaster_mail (
    id          bigserial PRIMARY KEY,
    received_at timestamptz NOT NULL DEFAULT now(),
    client      text NOT NULL,
    helo        text NOT NULL,
    mail_from   text NOT NULL,
    recipient   text NOT NULL,
    account_id  bigint REFERENCES accounts (id) ON DELETE CASCADE,
    tls         boolean NOT NULL,
    size        bigint NOT NULL CHECK (size = octet_length(message)),
    message     bytea NOT NULL
);
CREATE INDEX postmaster_mail_received ON postmaster_mail (received_at);
CREATE INDEX postmaster_mail_account ON postmaster_mail (account_id) WHERE account_id IS NOT NULL;
