/**
 * Herald API types, generated from the OpenAPI document (GET /openapi.json) by openapi-typescript. Do not edit:
 * run `npm run generate:client` after changing a route or schema (npm test checks that this file is current).
 */
export interface paths {
    "/v1/contacts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List contacts by cursor
         * @description Needs an API key with scope read.
         */
        get: operations["listContacts"];
        put?: never;
        /**
         * Import up to 10,000 contacts (insert or replace by id); the body may be up to 20 MB
         * @description Needs an API key with scope control.
         */
        post: operations["importContacts"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/contacts/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get one contact, with each suppressed channel and its cause (hard bounce, complaint, unsubscribe)
         * @description Needs an API key with scope read.
         */
        get: operations["getContact"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/audiences": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List audiences
         * @description Needs an API key with scope read.
         */
        get: operations["listAudiences"];
        put?: never;
        /**
         * Create an audience: a list of contact ids, or a filter (every term of all must hold; an any group holds when one of its conditions does)
         * @description Needs an API key with scope control.
         */
        post: operations["createAudience"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/audiences/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get an audience and its current size
         * @description Needs an API key with scope read.
         */
        get: operations["getAudience"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/campaigns": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List campaigns, newest first, optionally by status
         * @description Needs an API key with scope read.
         */
        get: operations["listCampaigns"];
        put?: never;
        /**
         * Create a campaign (Draft)
         * @description Needs an API key with scope control.
         */
        post: operations["createCampaign"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/campaigns/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get a campaign with exact counts and its Temporal workflow link
         * @description Needs an API key with scope read.
         */
        get: operations["getCampaign"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Edit a Draft
         * @description Needs an API key with scope control.
         */
        patch: operations["updateCampaign"];
        trace?: never;
    };
    "/v1/campaigns/{id}/send": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Send a Draft now
         * @description Needs an API key with scope control.
         */
        post: operations["sendCampaign"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/campaigns/{id}/schedule": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Schedule a Draft for a UTC time
         * @description Needs an API key with scope control.
         */
        post: operations["scheduleCampaign"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/campaigns/{id}/preview": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Render each channel's templates for one contact, as it would be sent
         * @description Needs an API key with scope control.
         */
        post: operations["previewCampaign"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/preview": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Render templates not saved yet (a campaign being written) for one contact, as they would be sent
         * @description Needs an API key with scope read.
         */
        post: operations["previewContent"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/campaigns/{id}/pause": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Pause a Sending campaign: returns once no message of it can leave
         * @description Needs an API key with scope control.
         */
        post: operations["pauseCampaign"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/campaigns/{id}/resume": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Resume a Paused campaign: the audience is read again, nobody gets it twice
         * @description Needs an API key with scope control.
         */
        post: operations["resumeCampaign"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/campaigns/{id}/stop": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Emergency stop (Sending, Paused or Finished): type the campaign id as confirmation; returns the report
         * @description Needs an API key with scope control.
         */
        post: operations["stopCampaign"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/campaigns/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Cancel a Scheduled campaign (everyone notSent cancelled); a started one is stopped (confirmation needed)
         * @description Needs an API key with scope control.
         */
        post: operations["cancelCampaign"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/campaigns/{id}/unschedule": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Unschedule a Scheduled campaign: back to an editable Draft
         * @description Needs an API key with scope control.
         */
        post: operations["unscheduleCampaign"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/campaigns/{id}/copy": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Copy as draft: same content, audience without everyone the original was sent to
         * @description Needs an API key with scope control.
         */
        post: operations["copyCampaign"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/campaigns/{id}/report": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The report of a stop or cancel: each step with its time and result, and the final counts
         * @description Needs an API key with scope read.
         */
        get: operations["getCampaignReport"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/campaigns/{id}/deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A campaign's deliveries by cursor, optionally by state and channel
         * @description Needs an API key with scope read.
         */
        get: operations["listDeliveries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/planned": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Planned sends, soonest first: campaigns sending or paused (with planned counts and next planned time), and unless scheduled=false ("show planned also") those scheduled for later
         * @description Needs an API key with scope read.
         */
        get: operations["listPlanned"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/planned/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Delete a planned campaign (confirmation = its id): nothing more of it is sent, its unsent deliveries become notSent deleted, and it leaves the lists; returns the report
         * @description Needs an API key with scope control.
         */
        delete: operations["deletePlanned"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Events (message.sent, sms.notSent, ...) after a cursor, oldest first
         * @description Needs an API key with scope read.
         */
        get: operations["listEvents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Audit log: who did what, when, and the result
         * @description Needs an API key with scope read.
         */
        get: operations["listAudit"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/account/brake": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The account's emergency brake: on or off, since when, set by which API key
         * @description Needs an API key with scope read.
         */
        get: operations["getBrake"];
        put?: never;
        /**
         * Emergency brake: on holds every sending campaign (answers once nothing of the account can leave), keeps scheduled ones from starting and refuses new sends; off releases what the brake held (deliveries planned more than 7 days before the release become notSent brake_expired)
         * @description Needs an API key with scope control.
         */
        post: operations["setBrake"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/providers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The account's provider per channel (config, and the names of the secrets set: never their values)
         * @description Needs an API key with scope read.
         */
        get: operations["listProviders"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/providers/{channel}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Save a channel's provider: smtp, sendgrid, postmark, mailgun, ses, twilio, vonage, fcm, apns, webpush, webhook or sandbox (secrets are write-only)
         * @description Needs an API key with scope control.
         */
        put: operations["putProvider"];
        post?: never;
        /**
         * Remove a channel's provider (the channel goes back to the default)
         * @description Needs an API key with scope control.
         */
        delete: operations["deleteProvider"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/providers/{channel}/test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Send one test message through the saved settings; answers with what the provider said
         * @description Needs an API key with scope control.
         */
        post: operations["testProvider"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The account's API keys with their scopes, revoked ones included (never the keys themselves)
         * @description Needs an API key with scope admin.
         */
        get: operations["listApiKeys"];
        put?: never;
        /**
         * Create an API key with a scope (read, control or admin); the answer is the only time the key is shown
         * @description Needs an API key with scope admin.
         */
        post: operations["createApiKey"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/keys/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Revoke an API key: it gets 401 from the next request on (a key cannot revoke itself)
         * @description Needs an API key with scope admin.
         */
        delete: operations["revokeApiKey"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        ImportContacts: {
            contacts: components["schemas"]["ContactInput"][];
        };
        /**
         * @example {
         *       "id": "c-1001",
         *       "email": "ada@example.com",
         *       "timezone": "Europe/Warsaw",
         *       "attributes": {
         *         "firstName": "Ada",
         *         "plan": "pro"
         *       }
         *     }
         */
        ContactInput: {
            id: string;
            email?: string | null;
            phone?: string | null;
            /** @default [] */
            pushTokens?: string[];
            /** @default [] */
            webPushSubscriptions?: {
                /** Format: uri */
                endpoint: string;
                keys: {
                    p256dh: string;
                    auth: string;
                };
            }[];
            timezone?: string | null;
            /** @default {} */
            attributes?: {
                [key: string]: unknown;
            };
            /** @default [] */
            suppressed?: ("email" | "sms" | "push" | "webpush")[];
        };
        ContactPage: {
            items: components["schemas"]["Contact"][];
            next: string | null;
        };
        Contact: {
            id: string;
            email?: string | null;
            phone?: string | null;
            pushTokens: string[];
            webPushSubscriptions: {
                endpoint: string;
                keys: {
                    p256dh: string;
                    auth: string;
                };
            }[];
            timezone?: string | null;
            attributes: {
                [key: string]: unknown;
            };
            suppressed: ("email" | "sms" | "push" | "webpush")[];
            suppressions?: {
                /** @enum {string} */
                channel: "email" | "sms" | "push" | "webpush";
                cause: ("hard_bounce" | "complaint" | "unsubscribed" | "undeliverable") | null;
                provider: string | null;
                reason: string | null;
                at: string | null;
            }[];
        };
        /**
         * @example {
         *       "name": "Pro plan",
         *       "type": "filter",
         *       "all": [
         *         {
         *           "attribute": "plan",
         *           "op": "eq",
         *           "value": "pro"
         *         }
         *       ]
         *     }
         */
        CreateAudience: {
            name: string;
            /** @constant */
            type: "list";
            contactIds: string[];
        } | {
            name: string;
            /** @constant */
            type: "filter";
            /** @default [] */
            all?: (components["schemas"]["Condition"] | components["schemas"]["AnyGroup"])[];
            any?: components["schemas"]["Condition"][];
        };
        /**
         * @example {
         *       "attribute": "plan",
         *       "op": "eq",
         *       "value": "pro"
         *     }
         */
        Condition: {
            attribute: string;
            /** @enum {string} */
            op: "eq" | "neq" | "in" | "exists" | "gt" | "gte" | "lt" | "lte";
            value?: unknown;
        };
        AnyGroup: {
            any: components["schemas"]["Condition"][];
        };
        Audience: {
            id: string;
            name: string;
            /** @enum {string} */
            type: "list" | "filter";
            conditions: ({
                attribute: string;
                op: string;
                value?: unknown;
            } | {
                any: {
                    attribute: string;
                    op: string;
                    value?: unknown;
                }[];
            })[];
            /** Format: date-time */
            createdAt: string;
            size?: number;
        };
        AudienceList: {
            items: components["schemas"]["Audience"][];
        };
        /**
         * @example {
         *       "name": "Spring sale",
         *       "audienceId": "aud_5k2m9q1x7p",
         *       "channels": [
         *         {
         *           "channel": "email",
         *           "subject": "Hello {{ contact.attributes.firstName }}",
         *           "body": "Our spring sale starts today."
         *         }
         *       ],
         *       "localTime": "09:00",
         *       "throttle": {
         *         "limit": 1000,
         *         "periodSeconds": 60
         *       },
         *       "endAt": "2027-04-30T00:00:00Z"
         *     }
         */
        CreateCampaign: {
            name: string;
            audienceId: string;
            channels: {
                /** @enum {string} */
                channel: "email" | "sms" | "push" | "webpush";
                subject?: string;
                body: string;
                html?: string;
                fallback?: string;
            }[];
            localTime?: string | null;
            throttle?: {
                limit: number;
                periodSeconds: number;
            } | null;
            endAt?: string | null;
            resendInDoubt?: boolean;
        };
        Campaign: {
            id: string;
            accountId: string;
            name: string;
            /** @enum {string} */
            status: "Draft" | "Scheduled" | "Sending" | "Paused" | "Finished" | "Stopped" | "Cancelled" | "Error";
            audienceId: string;
            channels: {
                /** @enum {string} */
                channel: "email" | "sms" | "push" | "webpush";
                subject?: string;
                body: string;
                html?: string;
                fallback?: string;
            }[];
            scheduledAt: string | null;
            localTime: string | null;
            throttle: {
                limit: number;
                periodSeconds: number;
            } | null;
            endAt: string | null;
            excludeSentOf: string[];
            resendInDoubt: boolean;
            copiedFrom: string | null;
            heldByBrake: boolean;
            deletedAt: string | null;
            startedAt: string | null;
            finishedAt: string | null;
            error: string | null;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            updatedAt: string;
            counts: {
                planned: number;
                pending: number;
                sent: number;
                notSent: number;
                failed: number;
                inDoubt: number;
                delivered: number;
                undelivered: number;
                bounced: number;
                complained: number;
                unsubscribed: number;
            };
            byChannel: {
                [key: string]: {
                    planned: number;
                    pending: number;
                    sent: number;
                    notSent: number;
                    failed: number;
                    inDoubt: number;
                    delivered: number;
                    undelivered: number;
                    bounced: number;
                    complained: number;
                    unsubscribed: number;
                };
            };
            progress: number;
            eta: {
                messagesPerSecond: number;
                secondsLeft: number;
                /** Format: date-time */
                at: string;
            } | null;
            brake: components["schemas"]["Brake"];
            workflowId: string;
            workflowUrl: string;
        };
        Brake: {
            on: boolean;
            since: string | null;
            /** @description The id of the API key that last switched it */
            by: string | null;
            /** @description That API key's name */
            byName?: string | null;
        };
        CampaignPage: {
            items: components["schemas"]["Campaign"][];
            next: string | null;
        };
        /**
         * @example {
         *       "name": "Spring sale (final)",
         *       "localTime": null
         *     }
         */
        UpdateCampaign: {
            name?: string;
            audienceId?: string;
            channels?: {
                /** @enum {string} */
                channel: "email" | "sms" | "push" | "webpush";
                subject?: string;
                body: string;
                html?: string;
                fallback?: string;
            }[];
            localTime?: string | null;
            throttle?: {
                limit: number;
                periodSeconds: number;
            } | null;
            endAt?: string | null;
            resendInDoubt?: boolean;
        };
        /**
         * @example {
         *       "at": "2027-04-01T09:00:00Z"
         *     }
         */
        ScheduleRequest: {
            /** Format: date-time */
            at: string;
        };
        /**
         * @example {
         *       "contactId": "c-1001"
         *     }
         */
        PreviewRequest: {
            contactId: string;
        };
        Preview: {
            contactId: string;
            channels: {
                /** @enum {string} */
                channel: "email" | "sms" | "push" | "webpush";
                subject?: string;
                body?: string;
                html?: string;
                error?: string;
            }[];
        };
        /**
         * @example {
         *       "contactId": "c-1001",
         *       "channels": [
         *         {
         *           "channel": "email",
         *           "subject": "Hi {{ contact.attributes.firstName }}",
         *           "body": "Hello"
         *         }
         *       ]
         *     }
         */
        PreviewContentRequest: {
            contactId: string;
            channels: {
                /** @enum {string} */
                channel: "email" | "sms" | "push" | "webpush";
                subject?: string;
                body: string;
                html?: string;
                fallback?: string;
            }[];
        };
        /**
         * @example {
         *       "confirmation": "cmp_6ykfv3dmdc"
         *     }
         */
        StopRequest: {
            confirmation: string;
        };
        ControlReport: {
            campaignId: string;
            /** @enum {string} */
            action: "stop" | "cancel" | "delete";
            /** @description The id of the API key that asked (or `temporal` for an operator in the Temporal UI) */
            requestedBy: string;
            /** @description That API key's name, when it is a key of the account */
            requestedByName?: string | null;
            requestedAt: string;
            answeredAt: string;
            completedAt: string | null;
            /** @enum {string} */
            from: "Draft" | "Scheduled" | "Sending" | "Paused" | "Finished" | "Stopped" | "Cancelled" | "Error";
            steps: {
                step: string;
                at: string;
                result: string;
                counts?: {
                    [key: string]: number;
                };
                done?: number;
                total?: number;
                endedAt?: string;
            }[];
            counts: components["schemas"]["DeliveryCounts"];
            byChannel: {
                [key: string]: components["schemas"]["DeliveryCounts"];
            };
        };
        /**
         * @example {
         *       "planned": 4000,
         *       "pending": 0,
         *       "sent": 230,
         *       "notSent": 3770,
         *       "failed": 0,
         *       "inDoubt": 0
         *     }
         */
        DeliveryCounts: {
            planned: number;
            pending: number;
            sent: number;
            notSent: number;
            failed: number;
            inDoubt: number;
        };
        CancelRequest: {
            confirmation?: string;
        };
        DeliveryPage: {
            items: components["schemas"]["Delivery"][];
            next: string | null;
        };
        Delivery: {
            id: number;
            contactId: string;
            /** @enum {string} */
            channel: "email" | "sms" | "push" | "webpush";
            /** @enum {string} */
            state: "pending" | "sent" | "notSent" | "failed" | "inDoubt";
            reason: string | null;
            error: string | null;
            providerMessageId: string | null;
            providerStatus: string | null;
            handedAt: string | null;
            /** Format: date-time */
            updatedAt: string;
            receipt?: {
                outcome: ("delivered" | "undelivered" | "bounced") | null;
                bounce: ("hard" | "soft") | null;
                reason: string | null;
                provider: string | null;
                at: string | null;
                complainedAt: string | null;
                unsubscribedAt: string | null;
            } | null;
        };
        PlannedCampaign: {
            id: string;
            accountId: string;
            name: string;
            /** @enum {string} */
            status: "Draft" | "Scheduled" | "Sending" | "Paused" | "Finished" | "Stopped" | "Cancelled" | "Error";
            audienceId: string;
            channels: {
                /** @enum {string} */
                channel: "email" | "sms" | "push" | "webpush";
                subject?: string;
                body: string;
                html?: string;
                fallback?: string;
            }[];
            scheduledAt: string | null;
            localTime: string | null;
            throttle: {
                limit: number;
                periodSeconds: number;
            } | null;
            endAt: string | null;
            excludeSentOf: string[];
            resendInDoubt: boolean;
            copiedFrom: string | null;
            heldByBrake: boolean;
            deletedAt: string | null;
            startedAt: string | null;
            finishedAt: string | null;
            error: string | null;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            updatedAt: string;
            counts: {
                planned: number;
                pending: number;
                sent: number;
                notSent: number;
                failed: number;
                inDoubt: number;
                delivered: number;
                undelivered: number;
                bounced: number;
                complained: number;
                unsubscribed: number;
            };
            byChannel: {
                [key: string]: {
                    planned: number;
                    pending: number;
                    sent: number;
                    notSent: number;
                    failed: number;
                    inDoubt: number;
                    delivered: number;
                    undelivered: number;
                    bounced: number;
                    complained: number;
                    unsubscribed: number;
                };
            };
            progress: number;
            eta: {
                messagesPerSecond: number;
                secondsLeft: number;
                /** Format: date-time */
                at: string;
            } | null;
            brake: components["schemas"]["Brake"];
            workflowId: string;
            workflowUrl: string;
            nextPlannedAt: string | null;
        };
        EventPage: {
            items: components["schemas"]["Event"][];
            next: string | null;
        };
        Event: {
            id: number;
            type: string;
            campaignId: string;
            contactId: string;
            channel: string;
            reason: string | null;
            error: string | null;
            provider?: string;
            /** @enum {string} */
            bounce?: "hard" | "soft";
            /** Format: date-time */
            at: string;
        };
        AuditEntryPage: {
            items: components["schemas"]["AuditEntry"][];
            next: string | null;
        };
        AuditEntry: {
            id: number;
            /** @description The id of the API key that acted */
            actor: string;
            /** @description That API key's name */
            actorName?: string | null;
            action: string;
            target: string | null;
            /** @enum {string} */
            result: "ok" | "refused" | "error";
            detail?: {
                [key: string]: unknown;
            } | null;
            /** Format: date-time */
            at: string;
        };
        /**
         * @example {
         *       "on": true
         *     }
         */
        BrakeRequest: {
            on: boolean;
        };
        BrakeResult: {
            on: boolean;
            since: string | null;
            /** @description The id of the API key that last switched it */
            by: string | null;
            /** @description That API key's name */
            byName?: string | null;
            campaigns: string[];
            skipped: string[];
            errors: {
                campaignId: string;
                error: string;
            }[];
            ms: number;
        };
        Provider: {
            /** @enum {string} */
            channel: "email" | "sms" | "push" | "webpush";
            kind: string;
            config: {
                [key: string]: unknown;
            };
            secretsSet: string[];
            receiptUrl?: string;
            /** Format: date-time */
            updatedAt: string;
        };
        /**
         * @example {
         *       "kind": "smtp",
         *       "config": {
         *         "host": "smtp.example.com",
         *         "port": 587,
         *         "from": "news@example.com"
         *       },
         *       "secrets": {
         *         "user": "news",
         *         "pass": "app-password"
         *       }
         *     }
         */
        PutProvider: {
            /** @enum {string} */
            kind: "smtp" | "twilio" | "fcm" | "webpush" | "sendgrid" | "postmark" | "mailgun" | "ses" | "vonage" | "apns" | "webhook" | "sandbox";
            /** @default {} */
            config?: {
                [key: string]: unknown;
            };
            secrets?: {
                [key: string]: unknown;
            };
        };
        TestSend: {
            to: string;
            subject?: string;
            body: string;
        };
        SendOutcome: {
            /** @enum {string} */
            status: "accepted" | "retryable" | "permanent";
            error?: string;
            httpStatus?: number;
            retryAfterMs?: number;
            suppress?: boolean;
        };
        /**
         * @example {
         *       "name": "Ops console",
         *       "scope": "control"
         *     }
         */
        CreateApiKey: {
            name: string;
            /** @enum {string} */
            scope: "read" | "control" | "admin";
        };
        CreatedApiKey: {
            id: string;
            name: string;
            /** @enum {string} */
            scope: "read" | "control" | "admin";
            /** Format: date-time */
            createdAt: string;
            revokedAt: string | null;
            /** @description The API key: shown this once, stored hashed */
            key: string;
        };
        ApiKeyList: {
            items: components["schemas"]["ApiKey"][];
        };
        ApiKey: {
            id: string;
            name: string;
            /** @enum {string} */
            scope: "read" | "control" | "admin";
            /** Format: date-time */
            createdAt: string;
            revokedAt: string | null;
        };
        /**
         * @example {
         *       "error": {
         *         "code": "invalid_request",
         *         "message": "channels.0.subject: required for email",
         *         "issues": [
         *           {
         *             "path": "channels.0.subject",
         *             "message": "required for email"
         *           }
         *         ]
         *       }
         *     }
         */
        Error: {
            error: {
                code: string;
                message: string;
                issues?: {
                    path: string;
                    message: string;
                }[];
                requestId?: string;
            };
        };
    };
    responses: {
        /** @description Invalid input: the message names the field and the reason */
        BadRequest: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description Missing, unknown or revoked API key */
        Unauthorized: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description The API key's scope does not allow this route: the message names the scope needed */
        Forbidden: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description Unknown id, or an id of another account */
        NotFound: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description Not allowed in the current status (or the account holds its most API keys) */
        Conflict: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description Request body larger than the route accepts: the message names the limit */
        PayloadTooLarge: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description Request body is not JSON */
        UnsupportedMediaType: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description Confirmation does not match */
        ConfirmationMismatch: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description Rate limit of the account, or of the client address's failed authentications, reached: retry after the Retry-After header (seconds) */
        RateLimited: {
            headers: {
                /** @description Seconds to wait */
                "Retry-After"?: number;
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description Internal error: the body carries only a request id to quote (never details) */
        InternalError: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
    };
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    listContacts: {
        parameters: {
            query?: {
                after?: string;
                limit?: number;
                q?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ContactPage"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ConfirmationMismatch"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
        };
    };
    importContacts: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ImportContacts"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        imported: number;
                    };
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ConfirmationMismatch"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
        };
    };
    getContact: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Contact"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ConfirmationMismatch"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
        };
    };
    listAudiences: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AudienceList"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ConfirmationMismatch"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
        };
    };
    createAudience: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateAudience"];
            };
        };
        responses: {
            /** @description OK */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Audience"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ConfirmationMismatch"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
        };
    };
    getAudience: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Audience"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ConfirmationMismatch"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
        };
    };
    listCampaigns: {
        parameters: {
            query?: {
                status?: "Draft" | "Scheduled" | "Sending" | "Paused" | "Finished" | "Stopped" | "Cancelled" | "Error";
                includeDeleted?: "true" | "false";
                after?: string;
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CampaignPage"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ConfirmationMismatch"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
        };
    };
    createCampaign: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateCampaign"];
            };
        };
        responses: {
            /** @description OK */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Campaign"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ConfirmationMismatch"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
        };
    };
    getCampaign: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Campaign"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ConfirmationMismatch"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
        };
    };
    updateCampaign: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateCampaign"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Campaign"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ConfirmationMismatch"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
        };
    };
    sendCampaign: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Campaign"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ConfirmationMismatch"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
        };
    };
    scheduleCampaign: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ScheduleRequest"];
            };
        };
        responses: {
            /** @description OK */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Campaign"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ConfirmationMismatch"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
        };
    };
    previewCampaign: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PreviewRequest"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Preview"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ConfirmationMismatch"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
        };
    };
    previewContent: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PreviewContentRequest"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Preview"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ConfirmationMismatch"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
        };
    };
    pauseCampaign: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Campaign"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ConfirmationMismatch"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
        };
    };
    resumeCampaign: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Campaign"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ConfirmationMismatch"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
        };
    };
    stopCampaign: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["StopRequest"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ControlReport"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ConfirmationMismatch"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
        };
    };
    cancelCampaign: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CancelRequest"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ControlReport"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ConfirmationMismatch"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
        };
    };
    unscheduleCampaign: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Campaign"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ConfirmationMismatch"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
        };
    };
    copyCampaign: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Campaign"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ConfirmationMismatch"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
        };
    };
    getCampaignReport: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ControlReport"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ConfirmationMismatch"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
        };
    };
    listDeliveries: {
        parameters: {
            query?: {
                state?: "pending" | "sent" | "notSent" | "failed" | "inDoubt";
                channel?: "email" | "sms" | "push" | "webpush";
                outcome?: "delivered" | "undelivered" | "bounced" | "complained" | "unsubscribed" | "awaiting";
                after?: string;
                limit?: number;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeliveryPage"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ConfirmationMismatch"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
        };
    };
    listPlanned: {
        parameters: {
            query?: {
                scheduled?: "true" | "false";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: components["schemas"]["PlannedCampaign"][];
                    };
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ConfirmationMismatch"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
        };
    };
    deletePlanned: {
        parameters: {
            query: {
                confirmation: string;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ControlReport"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ConfirmationMismatch"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
        };
    };
    listEvents: {
        parameters: {
            query?: {
                after?: string;
                limit?: number;
                campaignId?: string;
                type?: "message.sent" | "message.notSent" | "message.failed" | "message.delivered" | "message.undelivered" | "message.bounced" | "message.complained" | "message.unsubscribed" | "sms.sent" | "sms.notSent" | "sms.failed" | "sms.delivered" | "sms.undelivered" | "push.sent" | "push.notSent" | "push.failed" | "push.undelivered" | "webpush.sent" | "webpush.notSent" | "webpush.failed" | "webpush.undelivered";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EventPage"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ConfirmationMismatch"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
        };
    };
    listAudit: {
        parameters: {
            query?: {
                after?: string;
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuditEntryPage"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ConfirmationMismatch"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
        };
    };
    getBrake: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Brake"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ConfirmationMismatch"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
        };
    };
    setBrake: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["BrakeRequest"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BrakeResult"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ConfirmationMismatch"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
        };
    };
    listProviders: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Provider"][];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ConfirmationMismatch"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
        };
    };
    putProvider: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                channel: "email" | "sms" | "push" | "webpush";
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PutProvider"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Provider"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ConfirmationMismatch"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
        };
    };
    deleteProvider: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                channel: "email" | "sms" | "push" | "webpush";
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        deleted: true;
                    };
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ConfirmationMismatch"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
        };
    };
    testProvider: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                channel: "email" | "sms" | "push" | "webpush";
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TestSend"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SendOutcome"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ConfirmationMismatch"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
        };
    };
    listApiKeys: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiKeyList"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ConfirmationMismatch"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
        };
    };
    createApiKey: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateApiKey"];
            };
        };
        responses: {
            /** @description OK */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CreatedApiKey"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ConfirmationMismatch"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
        };
    };
    revokeApiKey: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiKey"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["PayloadTooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            422: components["responses"]["ConfirmationMismatch"];
            429: components["responses"]["RateLimited"];
            500: components["responses"]["InternalError"];
        };
    };
}
