/**
 * The PostgreSQL connection survives the server ending it: a backend terminated in the middle of a transaction
 * (pg_terminate_backend, a restart) fails that transaction and the process goes on, with the pool working after.
 */
import { createTestDatabase } from '../helpers';
import { openPostgresClient } from '../../src/store/postgres';

test('a connection terminated inside a transaction fails the transaction, not the process', async () => {
  const db = await createTestDatabase();
  const client = openPostgresClient(db.url, 2);
  try {
    const tx = client.transaction(async (t) => {
      const { rows } = await t.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await client.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
      // The server ends the connection while no query is on it: node-postgres reports that as an 'error' event.
      await new Promise((r) => setTimeout(r, 200));
      await t.query('SELECT 1');
    });
    await expect(tx).rejects.toThrow();
    const { rows } = await client.query<{ one: number }>('SELECT 1 AS one');
    expect(rows).toEqual([{ one: 1 }]);
  } finally {
    await client.close();
    await db.drop();
  }
});
