/**
 * Channel independence, measured from outside: a campaign of `n` SMS alone, then a campaign of the same `n` SMS that
 * also emails the same contacts over SMTP (the local SMTP server of test/emulators/smtp.ts: STARTTLS, AUTH, every
 * message parsed, at its own pace; in a process of its own at the lowest priority, as a relay on another machine).
 * The time from send until the SMS provider (the sink) has every SMS, alone and beside email, with each process's
 * CPU per SMS; then the second campaign is stopped and its books checked.
 */
import type { Herald } from './herald';
import { startSmtpProcess } from './processes';

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

/** What the sink has of a campaign: how many, and when the first arrived (epoch ms). */
type SinkCount = (campaignId: string) => Promise<{ count: number; first: number | null }>;
/** Starts sampling the CPU of every process of the run; `stop(n)` gives microseconds per message for `n` messages. */
type CpuOfRun = (smtpPid: number) => Promise<{ stop(n: number): Promise<Record<string, number>> }>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Counts {
  planned: number;
  sent: number;
  notSent: number;
  failed: number;
  inDoubt: number;
  pending: number;
}

/** Seconds from send until the sink has `n` messages of the campaign, and until it had the first. */
async function secondsUntil(herald: Herald, sinkCount: SinkCount, id: string, n: number): Promise<{ seconds: number; first: number }> {
  const started = Date.now();
  await herald.api.call('POST', `/v1/campaigns/${id}/send`);
  for (;;) {
    const { count, first } = await sinkCount(id);
    if (count >= n) return { seconds: (Date.now() - started) / 1000, first: ((first ?? started) - started) / 1000 };
    await sleep(20);
  }
}

/** Runs the trial on a Herald whose worker may reach 127.0.0.1 (PROVIDER_ALLOWED_HOSTS). */
export async function channelsTrial(
  herald: Herald,
  sinkUrl: string,
  sinkCount: SinkCount,
  audience: string,
  n: number,
  concurrency: number,
  cpuOfRun: CpuOfRun,
): Promise<ChannelsRow> {
  const { child, info: smtp } = await startSmtpProcess();
  const emails = async () => ((await (await fetch(smtp.countUrl)).json()) as { messages: number }).messages;
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
    let cpu = await cpuOfRun(child.pid);
    const aloneRun = await secondsUntil(herald, sinkCount, alone, n);
    const smsAloneSeconds = aloneRun.seconds;
    console.log(
      `    ${n.toLocaleString('en')} SMS alone: ${smsAloneSeconds.toFixed(1)} s (the first after ${aloneRun.first.toFixed(2)} s); ` +
        `CPU per SMS (µs): ${JSON.stringify(await cpu.stop(n))}`,
    );

    const both = await herald.api.campaign(audience, `sms beside smtp ${n}`, ['email', 'sms']);
    cpu = await cpuOfRun(child.pid);
    const besideRun = await secondsUntil(herald, sinkCount, both, n);
    const smsBesideEmailSeconds = besideRun.seconds;
    const emailsByThen = await emails();
    console.log(
      `    ${n.toLocaleString('en')} SMS beside SMTP email: ${smsBesideEmailSeconds.toFixed(1)} s ` +
        `(the first after ${besideRun.first.toFixed(2)} s; ` +
        `${emailsByThen} emails by then); ` +
        `CPU per SMS (µs): ${JSON.stringify(await cpu.stop(n))}`,
    );

    await herald.api.call('POST', `/v1/campaigns/${both}/stop`, { confirmation: both });
    await sleep(1_000);
    const c = await herald.api.call<{ byChannel: Record<'email' | 'sms', Counts> }>('GET', `/v1/campaigns/${both}`);
    const books = (k: Counts) => k.pending === 0 && k.sent + k.notSent + k.failed + k.inDoubt === k.planned && k.planned === n;
    const exact =
      books(c.byChannel.email) &&
      books(c.byChannel.sms) &&
      c.byChannel.sms.sent === (await sinkCount(both)).count &&
      c.byChannel.email.sent === (await emails());
    return { recipients: n, smsAloneSeconds, smsBesideEmailSeconds, emailsByThen, exact };
  } finally {
    await child.stop();
  }
}
