/**
 * A local SMTP server (the smtp-server package) standing in for a mail relay: it offers STARTTLS with a
 * self-signed certificate (test/emulators/tls), accepts AUTH only over TLS, stores every message it accepts
 * (parsed with mailparser, with whether the session was encrypted), rejects chosen recipients with 550, and can
 * answer the next messages with a temporary 451.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { Faults } from './faults';

/** A running SMTP emulator. */
export interface SmtpEmulator {
  port: number;
  user: string;
  pass: string;
  messages: (ParsedMail & { tls: boolean })[];
  /** The certificate the server presents (self-signed): what a client must trust. */
  certificate: string;
  /** Recipients refused with 550 (mailbox unavailable). */
  reject: Set<string>;
  faults: Faults;
  close(): Promise<void>;
}

/** Starts the SMTP emulator on a free loopback port. */
export async function startSmtpEmulator(): Promise<SmtpEmulator> {
  const emulator = {
    user: 'herald',
    pass: 'smtp-secret-password',
    messages: [] as (ParsedMail & { tls: boolean })[],
    reject: new Set<string>(),
    faults: new Faults(),
  };
  const tls = path.join(__dirname, 'tls');
  const certificate = readFileSync(path.join(tls, 'cert.pem'), 'utf8');
  const server = new SMTPServer({
    secure: false,
    key: readFileSync(path.join(tls, 'key.pem')),
    cert: certificate,
    authOptional: false,
    allowInsecureAuth: false,
    logger: false,
    closeTimeout: 1_000,
    onAuth(auth, _session, callback) {
      if (auth.username === emulator.user && auth.password === emulator.pass) return callback(null, { user: auth.username });
      return callback(new Error('535 authentication failed'));
    },
    onRcptTo(address, _session, callback) {
      if (emulator.reject.has(address.address)) {
        return callback(Object.assign(new Error(`5.1.1 <${address.address}>: mailbox unavailable`), { responseCode: 550 }));
      }
      return callback();
    },
    onData(stream, session, callback) {
      const fault = emulator.faults.take();
      simpleParser(stream)
        .then((mail) => {
          if (fault) return callback(Object.assign(new Error('4.3.2 try again later'), { responseCode: 451 }));
          emulator.messages.push(Object.assign(mail, { tls: session.secure }));
          return callback(null, `queued as ${emulator.messages.length}`);
        })
        .catch((err: Error) => callback(err));
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return { ...emulator, port, certificate, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
