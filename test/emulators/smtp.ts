/**
 * A local SMTP server (the smtp-server package) standing in for a mail relay: it requires AUTH, stores every
 * message it accepts (parsed with mailparser), rejects chosen recipients with 550, and can answer the next
 * messages with a temporary 451.
 */
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { Faults } from './faults';

/** A running SMTP emulator. */
export interface SmtpEmulator {
  port: number;
  user: string;
  pass: string;
  messages: ParsedMail[];
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
    messages: [] as ParsedMail[],
    reject: new Set<string>(),
    faults: new Faults(),
  };
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    authOptional: false,
    allowInsecureAuth: true,
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
    onData(stream, _session, callback) {
      const fault = emulator.faults.take();
      simpleParser(stream)
        .then((mail) => {
          if (fault) return callback(Object.assign(new Error('4.3.2 try again later'), { responseCode: 451 }));
          emulator.messages.push(mail);
          return callback(null, `queued as ${emulator.messages.length}`);
        })
        .catch((err: Error) => callback(err));
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return { ...emulator, port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
