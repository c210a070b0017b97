/** The message every contender posts to the sink: the same JSON body, headers and client as Herald's webhook provider. */
import { HttpClient } from '../src/providers/http';

/** Recipient `i` of a benchmark campaign. */
export function message(campaignId: string, i: number) {
  return {
    deliveryId: i,
    campaignId,
    contactId: `bench${i}`,
    channel: 'email',
    to: `bench${i}@example.com`,
    subject: `Hi Bench${i}`,
    body: `Hello Bench${i}, this is the benchmark.`,
  };
}

/** A keep-alive client with `connections` sockets, as the webhook provider holds. */
export function sinkClient(connections: number): HttpClient {
  return new HttpClient({ connections });
}

/** Posts recipient `i` of `campaignId`; throws unless the sink accepted it. */
export async function post(http: HttpClient, url: string, campaignId: string, i: number): Promise<void> {
  const res = await http.send(url, {
    headers: { 'content-type': 'application/json', 'idempotency-key': `${campaignId}/${i}` },
    body: JSON.stringify(message(campaignId, i)),
  });
  if (res.status < 200 || res.status >= 300) throw new Error(`sink answered ${res.status}`);
}
