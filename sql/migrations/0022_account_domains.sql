-- The rules of accounts' columns as domains instead of table CHECK constraints (issue #3).
--
-- PostgreSQL checks every CHECK constraint of a table on every UPDATE of a row, whatever columns
-- it sets, and reads each one's stored expression again (stringToNode, then compiling it) for
-- every statement that writes the table. The intake's commit changes one column of accounts,
-- credit, once per batch, and the dispatcher's refund trigger once per failed message: with 16
-- constraints, three of them regular expressions, that UPDATE took about 90 µs where the same
-- UPDATE of a table without them took about 30 µs (pgbench, one row, 2026-12-01).
--
-- A domain's constraint is checked when a value is assigned to a column of its type: on
-- INSERT for every column, on UPDATE only for the columns set. Its expressions are kept compiled
-- in the backend's type cache. So each rule still holds for every row, as before, with the same
-- SQLSTATE (23514, check_violation) when broken, naming the column's domain (account_country
-- for country, ...); the credit UPDATE checks only credit >= 0. One domain per column, so that
-- the error names the column at fault.
--
-- accounts_settings_changed (0016) names these columns, and PostgreSQL does not change the type
-- of a column a trigger names: it is dropped and created again, the same.

CREATE DOMAIN account_name AS text CHECK (VALUE ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$');
CREATE DOMAIN account_country AS text CHECK (VALUE ~ '^[A-Z]{2}$');
CREATE DOMAIN account_max_parts AS integer CHECK (VALUE >= 1 AND VALUE <= 255);
CREATE DOMAIN account_credit AS bigint CHECK (VALUE >= 0);
CREATE DOMAIN account_status AS text CHECK (VALUE IN ('active', 'suspended'));
CREATE DOMAIN account_subject AS text CHECK (VALUE IN ('body', 'subject', 'subject-and-body'));
CREATE DOMAIN account_credit_policy AS text CHECK (VALUE IN ('defer', 'fail'));
CREATE DOMAIN account_too_long AS text CHECK (VALUE IN ('refuse', 'truncate'));
CREATE DOMAIN account_messages_per_minute AS integer CHECK (VALUE >= 0);
CREATE DOMAIN account_segments_per_day AS integer CHECK (VALUE >= 0);
CREATE DOMAIN account_per_number_per_hour AS integer CHECK (VALUE >= 0);
CREATE DOMAIN account_dedup_seconds AS integer CHECK (VALUE >= 0);
CREATE DOMAIN account_national_language AS text
  CHECK (VALUE IN ('none', 'turkish', 'spanish', 'portuguese'));
CREATE DOMAIN account_concatenation_reference AS integer CHECK (VALUE IN (8, 16));
CREATE DOMAIN account_notify AS text CHECK (VALUE IN ('off', 'failures', 'all'));
CREATE DOMAIN account_notify_to AS text
  CHECK (VALUE = 'sender' OR VALUE ~ '^[^@\s<>(),;:"\\]+@[^@\s<>(),;:"\\]+$');

DROP TRIGGER accounts_settings_changed ON accounts;

ALTER TABLE accounts
  DROP CONSTRAINT accounts_name_check,
  DROP CONSTRAINT accounts_country_check,
  DROP CONSTRAINT accounts_max_parts_check,
  DROP CONSTRAINT accounts_credit_check,
  DROP CONSTRAINT accounts_status_check,
  DROP CONSTRAINT accounts_subject_check,
  DROP CONSTRAINT accounts_credit_policy_check,
  DROP CONSTRAINT accounts_too_long_check,
  DROP CONSTRAINT accounts_messages_per_minute_check,
  DROP CONSTRAINT accounts_segments_per_day_check,
  DROP CONSTRAINT accounts_per_number_per_hour_check,
  DROP CONSTRAINT accounts_dedup_seconds_check,
  DROP CONSTRAINT accounts_national_language_check,
  DROP CONSTRAINT accounts_concatenation_reference_check,
  DROP CONSTRAINT accounts_notify_check,
  DROP CONSTRAINT accounts_notify_to_check,
  ALTER COLUMN name TYPE account_name,
  ALTER COLUMN country TYPE account_country,
  ALTER COLUMN max_parts TYPE account_max_parts,
  ALTER COLUMN credit TYPE account_credit,
  ALTER COLUMN status TYPE account_status,
  ALTER COLUMN subject TYPE account_subject,
  ALTER COLUMN credit_policy TYPE account_credit_policy,
  ALTER COLUMN too_long TYPE account_too_long,
  ALTER COLUMN messages_per_minute TYPE account_messages_per_minute,
  ALTER COLUMN segments_per_day TYPE account_segments_per_day,
  ALTER COLUMN per_number_per_hour TYPE account_per_number_per_hour,
  ALTER COLUMN dedup_seconds TYPE account_dedup_seconds,
  ALTER COLUMN national_language TYPE account_national_language,
  ALTER COLUMN concatenation_reference TYPE account_concatenation_reference,
  ALTER COLUMN notify TYPE account_notify,
  ALTER COLUMN notify_to TYPE account_notify_to;

CREATE TRIGGER accounts_settings_changed
  AFTER UPDATE OF id, name, country, sender_id, max_parts, status, created_at, subject, timezone,
    credit_policy, too_long, countries, number_types, messages_per_minute, segments_per_day,
    per_number_per_hour, dedup_seconds, clean_text, end_marker, disclaimers, smart_gsm,
    transliterate, national_language, concatenation_reference, notify, notify_to
  ON accounts
  FOR EACH STATEMENT EXECUTE FUNCTION notify_account_change();
