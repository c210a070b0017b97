/** The receipt schemes by provider kind: the kinds that report back to Herald. */
import { mailgunReceipts } from './mailgun';
import { postmarkReceipts } from './postmark';
import type { ReceiptScheme } from './scheme';
import { sendgridReceipts } from './sendgrid';
import { sesReceipts } from './ses';
import { twilioReceipts } from './twilio';
import { vonageReceipts } from './vonage';

/** Every receipt scheme, by the provider kind whose receipts it reads. */
export const RECEIPT_SCHEMES: Readonly<Record<string, ReceiptScheme>> = Object.fromEntries(
  [sendgridReceipts, twilioReceipts, postmarkReceipts, mailgunReceipts, sesReceipts, vonageReceipts].map((s) => [s.kind, s]),
);
