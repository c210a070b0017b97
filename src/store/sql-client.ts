/** The few things Herald's store needs from a PostgreSQL connection; PGlite and node-postgres both provide them. */

/**
 * A statement the send path runs over and over, by name: PostgreSQL parses and plans it once per connection, not
 * once per chunk (its text must never change; the embedded store runs the text).
 */
export interface Prepared {
  readonly name: string;
  readonly text: string;
}

/** Names `text` as a prepared statement. */
export function prepared(name: string, text: string): Prepared {
  return { name, text };
}

/** SQL text, or a prepared statement. */
export type Sql = string | Prepared;

/** The text of a statement. */
export function textOf(sql: Sql): string {
  return typeof sql === 'string' ? sql : sql.text;
}

/** A connection that runs parameterised SQL ($1, $2, ...). */
export interface SqlClient {
  query<R = Record<string, unknown>>(sql: Sql, params?: unknown[]): Promise<{ rows: R[] }>;
  /** Runs `fn` in one transaction on one connection; rolls back if it throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * The same connection for the send path's many small statements, behind everything else: on the embedded store
   * (one connection) a stop's fence or an API read then waits for the statement running, not for every batch's
   * queued one. Without it (PostgreSQL's pool) the send path uses this client.
   */
  background?(): SqlClient;
  close(): Promise<void>;
}

/** What runs inside a transaction. */
export type SqlExecutor = Pick<SqlClient, 'query'>;

/** Type ids whose text form we parse ourselves: int8 as a JS number (ids and counts stay below 2^53). */
export const INT8_OID = 20;
