/**
 * The design a newcomer to Temporal writes first: one activity per recipient, `concurrency` of them in flight.
 * (Every activity lands in the workflow's history, so it cannot grow past Temporal's history limit of 51,200
 * events: about 10,000 recipients.)
 */
import { proxyActivities } from '@temporalio/workflow';
import type * as activities from './activities';

const { sendOne } = proxyActivities<typeof activities>({ startToCloseTimeout: '1 minute' });

/** Sends recipients 0..recipients-1 of `campaignId`, one activity each. */
export async function naiveCampaign(campaignId: string, recipients: number, concurrency: number): Promise<number> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < recipients) await sendOne(campaignId, next++);
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return recipients;
}
