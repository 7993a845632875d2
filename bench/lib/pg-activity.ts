/**
 * Samples pg_stat_activity for the service's connections (application_name 'backend-event') during a
 * scenario: how many backends were running, waiting on a lock, or idle in a transaction waiting
 * for the service to send its next statement.
 */
import pg from 'pg';

export interface PgActivity {
  samples: number;
  /** Average number of the service's backends per "state wait_event_type:wait_event". */
  backends: Record<string, number>;
}

export async function samplePgActivity(databaseUrl: string, intervalMs = 50): Promise<{ stop(): Promise<PgActivity> }> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'bench-sampler' });
  await client.connect();
  const totals: Record<string, number> = {};
  let samples = 0;
  let busy = false;
  const take = async () => {
    if (busy) return;
    busy = true;
    try {
      const { rows } = await client.query(
        `SELECT state, coalesce(wait_event_type, 'running') AS type, coalesce(wait_event, '') AS event, count(*)::int AS n
         FROM pg_stat_activity WHERE application_name = 'backend-event' AND backend_type = 'client backend' GROUP BY 1, 2, 3`,
      );
      samples++;
      for (const r of rows as { state: string; type: string; event: string; n: number }[]) {
        const key = `${r.state} ${r.type}${r.event ? `:${r.event}` : ''}`;
        totals[key] = (totals[key] ?? 0) + r.n;
      }
    } catch {
      // a failed sample is skipped
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void take(), intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      while (busy) await new Promise((r) => setTimeout(r, 5));
      await client.end().catch(() => undefined);
      const backends: Record<string, number> = {};
      for (const [k, v] of Object.entries(totals).sort((a, b) => b[1] - a[1])) backends[k] = samples ? v / samples : 0;
      return { samples, backends };
    },
  };
}
