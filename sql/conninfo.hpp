// How mail2sms connects to PostgreSQL, whatever the connection string names.
#pragma once

#include <string>

namespace mail2sms::sql {

// conninfo (keyword=value pairs or a URI) with mail2sms's defaults for what it leaves unset, so
// that a database that stops answering costs a bounded wait instead of the operating system's:
//   connect_timeout=10        a host that is gone (about two minutes of SYN retries otherwise)
//                             or a server that accepts and never answers (for ever otherwise);
//   keepalives_idle=30, keepalives_interval=10, keepalives_count=3
//                             an idle connection to a vanished server found dead in a minute;
//   tcp_user_timeout=30000    a statement sent to a vanished server fails after 30 seconds
//                             unacknowledged (about fifteen minutes of retransmissions
//                             otherwise). Not a statement timeout: a long statement whose
//                             packets were acknowledged runs on.
// The TCP settings do nothing over a Unix socket (the embedded cluster's). A value the operator
// set is kept. A string libpq cannot parse comes back unchanged: libpq names the mistake when
// the string is used.
std::string with_connection_defaults(const std::string& conninfo);

}  // namespace mail2sms::sql
