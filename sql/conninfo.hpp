// How mail2sms connects to PostgreSQL, whatever the connection string names.
#pragma once

#include <string>

namespace mail2sms::sql {

// conninfo (keyword=value pairs or a URI) with connect_timeout=10 where it leaves it unset: a host
// that is gone costs ten seconds instead of about two minutes of SYN retries, and a server (or a
// proxy in front of one) that accepts and never answers ten seconds instead of for ever. Not
// added where libpq would take the operator's value from elsewhere: a service file (service=,
// PGSERVICE) or PGCONNECT_TIMEOUT. A string libpq cannot parse comes back unchanged (libpq names
// the mistake when the string is used).
//
// Only the connect: a client-side limit on a connection already open (keepalives,
// tcp_user_timeout) would give up on a server that has not given up on it, and a session left
// idle in its transaction there would keep the accounts it locked until the server's own
// keepalives (two hours by default) ended it.
std::string with_connection_defaults(const std::string& conninfo);

}  // namespace mail2sms::sql
