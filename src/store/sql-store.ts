/**
 * The one implementation of Store, in PostgreSQL's SQL, shared by the embedded and PostgreSQL connections: one part
 * per aggregate (each with its rows and queries, over the same client), put together behind the Store interface.
 */
import { AccountSql } from './accounts';
import { AuditSql } from './audit';
import { CampaignSql } from './campaigns';
import { ContactSql } from './contacts';
import { DeliverySql } from './deliveries';
import { ProviderSql } from './providers';
import { SqlReceipts } from './receipts';
import type { SqlClient } from './sql-client';
import type { Store } from './store';

/** A Store over any SqlClient. */
export function sqlStore(db: SqlClient): Store {
  const methodsOf = partsComposer();
  return {
    ...methodsOf(new AccountSql(db)),
    ...methodsOf(new ContactSql(db)),
    ...methodsOf(new CampaignSql(db)),
    ...methodsOf(new DeliverySql(db)),
    ...methodsOf(new ProviderSql(db)),
    ...methodsOf(new AuditSql(db)),
    receipts: new SqlReceipts(db),
    sending: new DeliverySql(db.background?.() ?? db),
    async ping() {
      await db.query('SELECT 1');
    },
    close: () => db.close(),
  };
}

/**
 * Takes the methods of each part's class, bound to it, as own properties, so that spreading them composes the parts.
 * Two parts with a method of the same name would silently shadow each other: that throws instead.
 */
function partsComposer() {
  const owner = new Map<string, string>();
  return <T extends object>(part: T): { [K in keyof T]: T[K] } => {
    const proto = Object.getPrototypeOf(part) as Record<string, unknown>;
    const methods: Record<string, unknown> = {};
    for (const name of Object.getOwnPropertyNames(proto)) {
      const method = proto[name];
      if (name === 'constructor' || typeof method !== 'function') continue;
      const other = owner.get(name);
      if (other) throw new Error(`store parts ${other} and ${part.constructor.name} both define ${name}`);
      owner.set(name, part.constructor.name);
      methods[name] = method.bind(part);
    }
    return methods as { [K in keyof T]: T[K] };
  };
}
