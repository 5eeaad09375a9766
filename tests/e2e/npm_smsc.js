// An SMSC that nobody on this team wrote: the npm `smpp` package as a server, for e2e tests of
// mail2sms's SMPP client. Prints one JSON line per event; submit_sm fields are the raw decoded ones.
//
//   node npm_smsc.js PORT SYSTEM_ID PASSWORD [OPTIONS]  (PORT 0: any free port, printed first)
//
// Options: --receipts tlv           delivery receipts with receipted_message_id and message_state
//          --receipts decimal-text  submit_sm_resp ids in hex, receipts with only the text form
//                                   and the id in decimal (as some SMSCs do)
//          --throttle-every N       every Nth submit_sm answered ESME_RTHROTTLED
//
// Binds may be transceivers, transmitters or receivers; a receipt goes to the submitting bind when
// it is a transceiver, else to a receiver of the same system_id (held while there is none).
//
// First line: {"event":"listening","port":N}. Then "bind" (with its command), "submit_sm",
// "deliver_sm_resp" (with the peer the receipt went to), "receipt_held", "enquire_link", "unbind",
// "close" lines. Exits on SIGTERM or SIGINT.
'use strict';

const path = require('path');
// The package lives in tests/node_modules, installed by scripts/setup (cd tests && npm install).
const smpp = require(path.join(__dirname, '..', 'node_modules', 'smpp'));

const [portArg, systemId, password, ...options] = process.argv.slice(2);
function option(name) {
  const at = options.indexOf(name);
  return at >= 0 ? options[at + 1] : undefined;
}
const receipts = option('--receipts');
const throttleEvery = Number(option('--throttle-every') || 0);
let submits = 0;
if (portArg === undefined || systemId === undefined || password === undefined) {
  process.stderr.write('usage: node npm_smsc.js PORT SYSTEM_ID PASSWORD\n');
  process.exit(2);
}

// The package's `message` filter turns short_message into {udh: [...], message: text}, guessing
// the alphabet from data_coding and substituting ' ' for what it cannot map. The test must see the
// octets mail2sms put on the wire, so keep both fields as the Buffers its octet-string reader
// returns.
delete smpp.commands.submit_sm.params.short_message.filter;
delete smpp.tlvs.message_payload.filter;

function emit(record) {
  process.stdout.write(JSON.stringify(record) + '\n');
}

function hex(value) {
  return Buffer.isBuffer(value) ? value.toString('hex') : null;
}

let nextMessageId = 1;

// Bound sessions by mode ('transmitter', 'receiver', 'transceiver'), for routing receipts: SMPP 3.4
// sends deliver_sm only to a receiver or transceiver; with none bound they wait for one.
const bound = new Map();  // session -> {mode, systemId}
const heldReceipts = [];  // [systemId, fields, messageId]

function receivingSession(systemId, preferred) {
  const usable = (s) => s && bound.has(s) && bound.get(s).systemId === systemId &&
      bound.get(s).mode !== 'transmitter';
  if (usable(preferred)) return preferred;
  for (const s of bound.keys())
    if (usable(s)) return s;
  return null;
}

function deliverReceipt(session, fields, messageId) {
  const peer = session.socket.remoteAddress + ':' + session.socket.remotePort;
  session.deliver_sm(fields, (resp) => {
    emit({event: 'deliver_sm_resp', peer, message_id: messageId,
          command_status: resp.command_status});
  });
}

// An SMSC delivery receipt (esm_class 0x04) for a submit_sm just answered, on a bind of the
// submitter's system_id that receives.
function sendReceipt(session, submit, messageId, number) {
  const textId = receipts === 'decimal-text' ? String(number) : messageId;
  const text = 'id:' + textId + ' sub:001 dlvrd:001 submit date:2611281200 done date:2611281201 ' +
               'stat:DELIVRD err:000 text:';
  const fields = {
    source_addr: submit.destination_addr,
    destination_addr: submit.source_addr,
    esm_class: 0x04,
    short_message: Buffer.from(text, 'ascii'),
  };
  if (receipts === 'tlv') {
    fields.receipted_message_id = messageId;
    fields.message_state = 2;  // DELIVERED
  }
  const to = receivingSession(bound.get(session).systemId, session);
  if (to === null) {
    heldReceipts.push([bound.get(session).systemId, fields, messageId]);
    emit({event: 'receipt_held', message_id: messageId});
    return;
  }
  deliverReceipt(to, fields, messageId);
}

function onSession(session) {
  const peer = session.socket.remoteAddress + ':' + session.socket.remotePort;

  for (const mode of ['transceiver', 'transmitter', 'receiver']) {
    const command = 'bind_' + mode;
    session.on(command, (pdu) => {
      const ok = pdu.system_id === systemId && pdu.password === password && !bound.has(session);
      emit({
        event: 'bind',
        peer,
        command,
        system_id: pdu.system_id,
        system_type: pdu.system_type,
        interface_version: pdu.interface_version,
        accepted: ok
      });
      if (!ok) {
        session.send(pdu.response({command_status: smpp.ESME_RBINDFAIL}));
        return;
      }
      bound.set(session, {mode, systemId: pdu.system_id});
      session.send(pdu.response({system_id: 'npm-smsc'}));
      if (mode === 'transmitter') return;
      for (const [id, fields, messageId] of heldReceipts.splice(0)) {
        if (id === pdu.system_id)
          deliverReceipt(session, fields, messageId);
        else
          heldReceipts.push([id, fields, messageId]);
      }
    });
  }

  session.on('submit_sm', (pdu) => {
    if (!bound.has(session) || bound.get(session).mode === 'receiver') {
      session.send(pdu.response({command_status: smpp.ESME_RINVBNDSTS}));
      return;
    }
    if (throttleEvery > 0 && ++submits % throttleEvery === 0) {
      emit({event: 'throttled', destination_addr: pdu.destination_addr});
      session.send(pdu.response({command_status: smpp.ESME_RTHROTTLED}));
      return;
    }
    const number = nextMessageId++;
    const messageId = receipts === 'decimal-text' ? number.toString(16).padStart(8, '0')
                                                  : 'npm' + String(number).padStart(6, '0');
    emit({
      event: 'submit_sm',
      message_id: messageId,
      sequence_number: pdu.sequence_number,
      service_type: pdu.service_type,
      source_addr_ton: pdu.source_addr_ton,
      source_addr_npi: pdu.source_addr_npi,
      source_addr: pdu.source_addr,
      dest_addr_ton: pdu.dest_addr_ton,
      dest_addr_npi: pdu.dest_addr_npi,
      destination_addr: pdu.destination_addr,
      esm_class: pdu.esm_class,
      protocol_id: pdu.protocol_id,
      priority_flag: pdu.priority_flag,
      registered_delivery: pdu.registered_delivery,
      data_coding: pdu.data_coding,
      short_message: hex(pdu.short_message),
      message_payload: hex(pdu.message_payload),
      sar_msg_ref_num: pdu.sar_msg_ref_num,
      sar_total_segments: pdu.sar_total_segments,
      sar_segment_seqnum: pdu.sar_segment_seqnum,
    });
    session.send(pdu.response({message_id: messageId}));
    if (receipts && (pdu.registered_delivery & 0x03) === 1)
      sendReceipt(session, pdu, messageId, number);
  });

  session.on('enquire_link', (pdu) => {
    emit({event: 'enquire_link', peer, sequence_number: pdu.sequence_number});
    session.send(pdu.response());
  });

  session.on('unbind', (pdu) => {
    emit({event: 'unbind', peer});
    bound.delete(session);
    session.send(pdu.response(), () => session.close());
  });

  // Responses to nothing we sent are ignored; unknown requests get generic_nack.
  session.on('unknown', (pdu) => {
    emit({event: 'unknown', peer, command_id: pdu.command_id});
    session.send(pdu.response());
  });

  session.on('close', () => {
    bound.delete(session);
    emit({event: 'close', peer});
  });
  session.on('error', (e) => emit({event: 'error', peer, message: String(e && e.message)}));
}

const server = smpp.createServer(onSession);
server.on('error', (e) => {
  process.stderr.write('npm_smsc: ' + e.message + '\n');
  process.exit(1);
});
server.listen(Number(portArg), '127.0.0.1', () => {
  emit({event: 'listening', port: server.address().port});
});

function stop() {
  for (const session of server.sessions.slice()) session.destroy();
  server.close(() => process.exit(0));
  // A session stuck mid-write must not keep the process alive past its SIGTERM.
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
