// Sends one mail through mail2sms with nodemailer (a real Node.js mail client), for test_clients.py.
// Usage: node nodemailer_send.js PORT SECURE USER PASS TO TEXT [AUTH_METHOD]
// SECURE "true" is implicit TLS (RFC 8314); "false" is STARTTLS, and then TLS is required. On
// success prints one JSON line: the reply to the final dot and the commands the client sent
// (nodemailer masks the credentials in them), so a test can see which AUTH method was used.
'use strict';
const path = require('path');
const util = require('util');
const nodemailer = require(path.join(__dirname, '..', '..', 'node_modules', 'nodemailer'));

// A bunyan-shaped logger that keeps what the client sent.
function commandRecorder(commands) {
  const record = (entry, message, ...args) => {
    if (entry && entry.tnx === 'client') commands.push(util.format(message, ...args));
  };
  return { trace: record, debug: record, info: record, warn: record, error: record, fatal: record };
}

async function main(argv) {
  if (argv.length < 6) {
    throw new Error('usage: nodemailer_send.js PORT SECURE USER PASS TO TEXT [AUTH_METHOD]');
  }
  const [port, secure, user, pass, to, text, authMethod] = argv;
  const implicitTls = secure === 'true';
  const commands = [];
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: Number(port),
    secure: implicitTls,
    requireTLS: !implicitTls,
    auth: { user, pass },
    authMethod: authMethod || undefined,
    tls: { rejectUnauthorized: false }, // the test's self-signed certificate
    connectionTimeout: 20000,
    greetingTimeout: 20000,
    socketTimeout: 30000,
    transactionLog: true,
    logger: commandRecorder(commands),
  });
  try {
    const info = await transport.sendMail({ from: 'ops@example.com', to, subject: 'nodemailer', text });
    process.stdout.write(JSON.stringify({ response: info.response, accepted: info.accepted,
                                          rejected: info.rejected, commands }) + '\n');
  } finally {
    transport.close();
  }
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`nodemailer_send: ${err.stack || err}\n`);
  if (err.response) process.stderr.write(`server replied: ${err.response}\n`);
  process.exit(1);
});
