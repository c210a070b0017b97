/** The naive design's only activity: post one message to the sink. */
import { post, sinkClient } from '../message';

const http = sinkClient(Number(process.env.BENCH_CONCURRENCY ?? 32));

/** Posts recipient `i`. */
export async function sendOne(campaignId: string, i: number): Promise<void> {
  await post(http, process.env.SINK_URL!, campaignId, i);
}
