//! Statements: a merge plan run on one transaction, and the id queries.

use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;
use tokio_postgres::types::ToSql;
use tokio_postgres::{IsolationLevel, SimpleQueryMessage, Transaction};

use super::super::plan::{self, Planned, Step, Tally};
use super::super::sql::ident;
use super::super::{IdQuery, WriteBatch, WriteStats, SYNCED_AT};
use super::copy::{stage, PgCell};
use super::dialect::{pg, pool_err, Failure, PostgresDialect};

/// One attempt at a batch: its whole plan in one transaction.
pub(super) async fn write_once(pool: &Pool, schema: &str, batch: &WriteBatch) -> Result<WriteStats, Failure> {
    let steps = plan::plan(batch, &PostgresDialect { schema }, Utc::now());
    let mut client = pool.get().await.map_err(pool_err("connect"))?;
    // READ COMMITTED whatever the server's default: each parent's rows are
    // locked before they are read (`PostgresDialect::after_parents_staged`),
    // so another writer waits instead of failing, and a contended row (a
    // bookmark two handles move) never starves one of them into endless
    // serialization failures.
    let tx = tokio_postgres::Client::build_transaction(&mut client)
        .isolation_level(IsolationLevel::ReadCommitted)
        .start()
        .await
        .map_err(pg("begin"))?;
    let stats = run(&tx, &steps).await?;
    // Dropped uncommitted (any `?` above), the transaction rolls back.
    tx.commit().await.map_err(pg("commit"))?;
    Ok(stats)
}

/// Runs a plan's steps on `tx`.
async fn run(tx: &Transaction<'_>, steps: &[Planned<'_>]) -> Result<WriteStats, Failure> {
    let mut tally = Tally::default();
    for p in steps {
        if tally.skips(&p.step) {
            continue;
        }
        let n = match &p.step {
            Step::Stage { name, def, rows } => {
                stage(tx, name, def, rows).await?;
                0
            }
            Step::Run {
                sql,
                args,
                what,
                effect,
                ..
            } if args.is_empty() => {
                // No parameters: the simple protocol, one round trip.
                let msgs = tx.simple_query(sql).await.map_err(pg(what))?;
                if effect.is_count() {
                    msgs.iter()
                        .find_map(|m| match m {
                            SimpleQueryMessage::Row(r) => r.get(0),
                            _ => None,
                        })
                        .and_then(|v| v.parse().ok())
                        .ok_or_else(|| Failure::new(format!("{what}: no count returned")))?
                } else {
                    affected(&msgs)
                }
            }
            Step::Run { sql, args, what, .. } => {
                let cells: Vec<PgCell<'_>> = args.iter().map(PgCell).collect();
                let params: Vec<&(dyn ToSql + Sync)> = cells.iter().map(|c| c as &(dyn ToSql + Sync)).collect();
                tx.execute(sql.as_str(), &params).await.map_err(pg(what))?
            }
        };
        tally.record(p.phase, &p.step, n);
    }
    Ok(tally.stats)
}

/// Rows the (last) statement changed.
fn affected(msgs: &[SimpleQueryMessage]) -> u64 {
    msgs.iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::CommandComplete(n) => Some(*n),
            _ => None,
        })
        .next_back()
        .unwrap_or(0)
}

/// The condition and arguments of an [`IdQuery`] (`$n` placeholders).
pub(super) fn id_query_sql(q: &IdQuery) -> (String, Vec<DateTime<Utc>>) {
    let mut cond = vec!["true".to_owned()];
    let mut args = Vec::new();
    let mut push = |sql: String, t: DateTime<Utc>| {
        args.push(t);
        cond.push(format!("{sql} ${}", args.len()));
    };
    if let Some(t) = q.updated_from {
        push("updated_at >=".into(), t);
    }
    if let Some(t) = q.updated_before {
        push("updated_at <".into(), t);
    }
    if let Some(t) = q.synced_since {
        push(format!("{} >=", ident(SYNCED_AT)), t);
    }
    (cond.join(" AND "), args)
}
