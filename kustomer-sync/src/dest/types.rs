//! Each destination's type for a logical type: the one place each mapping
//! lives. Not behind the destinations' features, so the data dictionary can
//! name every destination's types in any build.

use kustomer_models::LogicalType;

/// DuckDB's type.
pub fn duckdb(ty: LogicalType) -> &'static str {
    match ty {
        LogicalType::Text => "VARCHAR",
        LogicalType::BigInt => "BIGINT",
        LogicalType::Double => "DOUBLE",
        LogicalType::Boolean => "BOOLEAN",
        // UTC instants; DuckDB's TIMESTAMPTZ needs the ICU extension to print.
        LogicalType::Timestamp => "TIMESTAMP",
        LogicalType::Json => "JSON",
        _ => "VARCHAR",
    }
}

/// PostgreSQL's type.
///
/// `double precision` is IEEE 754 binary64 and binary `COPY` sends its eight
/// bytes as they are, so it holds every `f64` bit for bit (`-0.0`, NaN and
/// infinities included).
pub fn postgres(ty: LogicalType) -> &'static str {
    match ty {
        LogicalType::Text => "text",
        LogicalType::BigInt => "bigint",
        LogicalType::Double => "double precision",
        LogicalType::Boolean => "boolean",
        // Microsecond UTC instants: what `timestamptz` keeps, so they round-trip exactly.
        LogicalType::Timestamp => "timestamptz",
        LogicalType::Json => "jsonb",
        _ => "text",
    }
}

/// The lake's type, as Delta's schema names it (timestamps are UTC
/// microseconds; JSON is its text).
pub fn lake(ty: LogicalType) -> &'static str {
    match ty {
        LogicalType::BigInt => "long",
        LogicalType::Double => "double",
        LogicalType::Boolean => "boolean",
        LogicalType::Timestamp => "timestamp",
        LogicalType::Json => "string (JSON)",
        _ => "string",
    }
}
