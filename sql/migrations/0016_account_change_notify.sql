-- A NOTIFY on mail2sms_accounts when what a running serve remembers of an account may have
-- changed (issue #3).
--
-- serve remembers the account a client network or a client certificate identified
-- (smtpd/account_cache.hpp), so that a client opening a connection per mail is not a read
-- transaction of five round trips before each greeting. It forgets everything when this channel
-- speaks: a network or certificate removed or moved to another account, an account suspended,
-- renamed or deleted, its text settings, senders or contact groups changed reach the next
-- connection, not the next one after the cache's ttl.
--
-- Statement-level triggers: one notification per statement, and PostgreSQL folds identical
-- notifications of one transaction into one. On accounts, only updates of columns other than
-- credit: the intake and the dispatcher's refunds change credit on every batch, and nothing
-- remembered depends on it (credit is read under the row lock at every commit). A column added
-- to accounts later belongs in this list, by a migration of its own
-- (tests/integration/account_changes_test.cpp fails until it is).
CREATE FUNCTION notify_account_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('mail2sms_accounts', '');
  RETURN NULL;
END
$$;

CREATE TRIGGER accounts_changed
  AFTER INSERT OR DELETE OR TRUNCATE ON accounts
  FOR EACH STATEMENT EXECUTE FUNCTION notify_account_change();
CREATE TRIGGER accounts_settings_changed
  AFTER UPDATE OF id, name, country, sender_id, max_parts, status, created_at, subject, timezone,
    credit_policy, too_long, countries, number_types, messages_per_minute, segments_per_day,
    per_number_per_hour, dedup_seconds, clean_text, end_marker, disclaimers, smart_gsm,
    transliterate, national_language, concatenation_reference, notify, notify_to
  ON accounts
  FOR EACH STATEMENT EXECUTE FUNCTION notify_account_change();

-- The tables that hang off an account and that sessions remember: every change (the trigger of
-- each is named after it: account_networks_changed, ...).
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['account_networks', 'account_certificates', 'account_senders',
                           'contacts', 'contact_groups', 'group_members'] LOOP
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I '
                   'FOR EACH STATEMENT EXECUTE FUNCTION notify_account_change()',
                   t || '_changed', t);
  END LOOP;
END
$$;
