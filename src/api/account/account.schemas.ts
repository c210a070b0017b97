/** Account schemas. */
import { z } from 'zod';

/** Body of the emergency brake switch. */
export const BrakeBody = z.object({ on: z.boolean() }).strict();
