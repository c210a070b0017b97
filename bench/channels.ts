/**
 * Channel independence, measured from outside: a campaign of `n` SMS alone, then a campaign of the same `n` SMS that
 * also emails the same contacts over SMTP (the local SMTP server of test/emulators/smtp.ts: STARTTLS, AUTH, every
 * message parsed, at its own pace). The time from send until the SMS provider (the sink) has every SMS, alone and
 * beside email; then the second campaign is stopped and its books checked.
 */
import { startSmtpEmulator } from '../test/emulators/smtp';
import type { Herald } from './herald';

/** What the trial measured. */
export interface ChannelsRow {
  recipients: number;
  smsAloneSeconds: number;
  smsBesideEmailSeconds: number;
  /** Emails the SMTP server had accepted when the last SMS arrived. */
  emailsByThen: number;
  /** After the stop: sent + notSent + failed + inDoubt = planned per channel, the servers' counts = sent. */
  exact: boolean;
}

type SinkCount = (campaignId: string) => Promise<number>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Counts {
  planned: number;
  sent: number;
  notSent: number;
  failed: number;
  inDoubt: number;
  pending: number;
}

/** Seconds from send until the sink has `n` messages of the campaign. */
async function secondsUntil(herald: Herald, sinkCount: SinkCount, id: string, n: number): Promise<number> {
  const started = Date.now();
  await herald.api.call('POST', `/v1/campaigns/${id}/send`);
  while ((await sinkCount(id)) < n) await sleep(20);
  return (Date.now() - started) / 1000;
}

/** Runs the trial on a Herald whose worker may reach 127.0.0.1 (PROVIDER_ALLOWED_HOSTS). */
export async function channelsTrial(herald: Herald, sinkUrl: string, sinkCount: SinkCount, audience: string, n: number, concurrency: number): Promise<ChannelsRow> {
  const smtp = await startSmtpEmulator();
  try {
    await herald.api.call('PUT', '/v1/providers/sms', { kind: 'webhook', config: { url: sinkUrl, concurrency } });
    await herald.api.call('PUT', '/v1/providers/email', {
      kind: 'smtp',
      config: { host: '127.0.0.1', port: smtp.port, secure: false, requireTLS: true, ca: smtp.certificate, from: 'bench@herald.test' },
      secrets: { user: smtp.user, pass: smtp.pass },
    });
    // A first campaign warms the processes up (JIT, connection pools), so neither measured one pays for it.
    await secondsUntil(herald, sinkCount, await herald.api.campaign(audience, 'warm-up', ['sms']), n);
    const alone = await herald.api.campaign(audience, `sms alone ${n}`, ['sms']);
    const smsAloneSeconds = await secondsUntil(herald, sinkCount, alone, n);
    console.log(`    ${n.toLocaleString('en')} SMS alone: ${smsAloneSeconds.toFixed(1)} s`);

    const both = await herald.api.campaign(audience, `sms beside smtp ${n}`, ['email', 'sms']);
    const smsBesideEmailSeconds = await secondsUntil(herald, sinkCount, both, n);
    const emailsByThen = smtp.messages.length;
    console.log(`    ${n.toLocaleString('en')} SMS beside SMTP email: ${smsBesideEmailSeconds.toFixed(1)} s (${emailsByThen} emails by then)`);

    await herald.api.call('POST', `/v1/campaigns/${both}/stop`, { confirmation: both });
    await sleep(1_000);
    const c = await herald.api.call<{ byChannel: Record<'email' | 'sms', Counts> }>('GET', `/v1/campaigns/${both}`);
    const books = (k: Counts) => k.pending === 0 && k.sent + k.notSent + k.failed + k.inDoubt === k.planned && k.planned === n;
    const exact = books(c.byChannel.email) && books(c.byChannel.sms) && c.byChannel.sms.sent === (await sinkCount(both)) && c.byChannel.email.sent === smtp.messages.length;
    return { recipients: n, smsAloneSeconds, smsBesideEmailSeconds, emailsByThen, exact };
  } finally {
    await smtp.close();
  }
}
