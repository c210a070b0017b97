/**
 * The SMTP emulator of the tests (test/emulators/smtp.ts) in a process of its own, for the channels trial: it
 * stands in for a relay on another machine, so it runs at the lowest priority and its TLS and parsing take only
 * what the cores leave over. It prints one JSON line (port, certificate, credentials, and the URL of its count)
 * and runs until the process ends.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { startSmtpEmulator } from '../test/emulators/smtp';

/** What the SMTP server process says once it listens. */
export interface SmtpServerInfo {
  port: number;
  certificate: string;
  user: string;
  pass: string;
  /** GET: `{"messages": n}`, the messages it has accepted so far. */
  countUrl: string;
}

async function main(): Promise<void> {
  os.setPriority(19);
  const smtp = await startSmtpEmulator();
  const server = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ messages: smtp.messages.length })),
  );
  server.listen(0, '127.0.0.1', () => {
    const info: SmtpServerInfo = {
      port: smtp.port,
      certificate: smtp.certificate,
      user: smtp.user,
      pass: smtp.pass,
      countUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/count`,
    };
    console.log(JSON.stringify(info));
  });
}

if (require.main === module) void main();
