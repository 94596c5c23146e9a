//! Rows for the load benches (`benches/load.rs` and `examples/bench_sync.rs
//! --load-rows`): the messages of a generated org, with their child rows,
//! flattened once and handed out again under ids no earlier batch used.

use std::sync::Arc;

use kustomer::models::{Cell, Entity, FlatRecord, Message};
use kustomer::sync::dest::{StreamTables, WriteBatch};
use kustomer_sim::{Kind, Org, OrgSize, SimConfig};

/// The stream the batches are written under.
pub const STREAM: &str = "messages";

/// Flattened messages and the tables they go to.
pub struct Messages {
    base: Vec<FlatRecord>,
    tables: Arc<StreamTables>,
    /// Batches handed out so far: part of every id, so each batch is new.
    copies: usize,
}

impl Messages {
    /// The 2,000 messages of a generated org, flattened.
    pub fn generate() -> Self {
        let org = Org::generate(&SimConfig {
            size: OrgSize {
                messages: 2_000,
                ..OrgSize::tiny()
            },
            ..SimConfig::default()
        });
        let base = org
            .records(Kind::Message)
            .into_iter()
            .map(|v| serde_json::from_value::<Message>(v.clone()).map(Entity::flatten))
            .collect::<Result<_, _>>()
            .expect("the simulator's messages decode");
        let schema = Message::schema();
        let tables = Arc::new(StreamTables::new(schema.table.clone(), schema.children.clone()));
        Messages {
            base,
            tables,
            copies: 0,
        }
    }

    /// The parent table and its child tables.
    pub fn tables(&self) -> &Arc<StreamTables> {
        &self.tables
    }

    /// `records` records (cycling through the messages) under new ids, and
    /// how many rows they hold (parents and child rows).
    pub fn fresh(&mut self, records: usize) -> (Vec<FlatRecord>, usize) {
        let (copy, n) = (self.copies, self.base.len());
        self.copies += 1;
        let mut rows = 0;
        let batch = (self.base.iter().cycle().take(records).enumerate())
            .map(|(k, r)| {
                let mut r = r.clone();
                let id = format!("{}-{copy}-{}", r.id, k / n);
                // The first column of a parent row and of every child row is the parent's id.
                let rows_of_r = std::iter::once(&mut r.row).chain(r.children.iter_mut().flatten());
                for row in rows_of_r {
                    if let Some(Cell::Text(t)) = row.first_mut() {
                        *t = id.clone();
                    }
                }
                r.id = id;
                rows += 1 + r.children.iter().map(Vec::len).sum::<usize>();
                r
            })
            .collect();
        (batch, rows)
    }

    /// A batch of `records` for the messages stream.
    pub fn batch(&self, records: Vec<FlatRecord>) -> WriteBatch {
        WriteBatch::new(STREAM, self.tables.clone(), records)
    }
}
