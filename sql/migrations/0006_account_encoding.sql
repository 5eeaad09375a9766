-- How an account's texts are encoded beyond smart GSM and transliteration: the national language
-- shift tables (3GPP TS 23.038 A.2/A.3) the encoder may use, and the width of the concatenation
-- reference in the UDH (8-bit: IEI 0x00, 16-bit: IEI 0x08). Per account, not per connector: a
-- mail is encoded when it is accepted and its parts are stored before a connector is chosen.
ALTER TABLE accounts
    ADD COLUMN national_language       text NOT NULL DEFAULT 'none'
        CHECK (national_language IN ('none', 'turkish', 'spanish', 'portuguese')),
    ADD COLUMN concatenation_reference integer NOT NULL DEFAULT 8
        CHECK (concatenation_reference IN (8, 16));
