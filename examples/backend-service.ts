/**
 * A backend service driving a campaign straight through Temporal, with Herald's typed definitions: start it,
 * query its progress, pause and resume it with updates (a refusal explains itself), wait for the result.
 * Usage: npx tsx examples/backend-service.ts <campaignId> <accountId>   (the campaign is a Draft made with the API)
 */
import { Client, Connection, WorkflowUpdateFailedError } from '@temporalio/client';
import type { campaignWorkflow } from '../src/workflows/campaign';
import {
  AccountIdAttribute,
  CAMPAIGN_WORKFLOW_TYPE,
  CampaignStatusAttribute,
  ChannelsAttribute,
  TASK_QUEUE,
  campaignWorkflowId,
  pauseUpdate,
  progressQuery,
  resumeUpdate,
} from '../src/workflows/definitions';

async function main(): Promise<void> {
  const [campaignId, accountId] = process.argv.slice(2);
  if (!campaignId || !accountId) throw new Error('usage: examples/backend-service.ts <campaignId> <accountId>');
  const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
  try {
    const client = new Client({ connection });
    const handle = await client.workflow.start<typeof campaignWorkflow>(CAMPAIGN_WORKFLOW_TYPE, {
      taskQueue: TASK_QUEUE,
      workflowId: campaignWorkflowId(campaignId),
      args: [{ campaignId, accountId, channels: ['email'] }],
      typedSearchAttributes: [
        { key: CampaignStatusAttribute, value: 'Sending' },
        { key: AccountIdAttribute, value: accountId },
        { key: ChannelsAttribute, value: ['email'] },
      ],
    });
    console.log('progress:', await handle.query(progressQuery));
    const by = { requestedBy: 'backend-service-example' };
    try {
      const paused = await handle.executeUpdate(pauseUpdate, { args: [by] });
      console.log('paused:', paused.status, paused.tally);
      console.log('resumed:', (await handle.executeUpdate(resumeUpdate, { args: [by] })).status);
    } catch (err) {
      // A campaign that already finished cannot be paused: the workflow's validator says why, nothing changes.
      if (!(err instanceof WorkflowUpdateFailedError)) throw err;
      console.log('pause refused:', err.cause?.message);
    }
    console.log('result:', await handle.result());
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
