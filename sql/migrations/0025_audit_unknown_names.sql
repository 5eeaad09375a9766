-- Failed logins record the user name tried only when it is an account's (session 25). Rows written
-- before kept any name tried, which can be a password typed in the wrong field or a phone number,
-- with no account to erase them with: they keep the time, the client and the mechanism, not the
-- name. (An erased account's rows say 'deleted account #N' and are left as they are.)
UPDATE audit_log SET subject = '(not an account name)'
 WHERE action = 'auth.failure' AND account_id IS NULL
   AND subject NOT LIKE 'deleted account #%' AND subject <> '(not an account name)';
