-- What the collector received, without the payload: the denominator of log-quality figures.
CREATE TABLE IF NOT EXISTS raw_index (
    tenant       LowCardinality(String),
    source       LowCardinality(String),
    id           String,
    received_at  DateTime64(3, 'UTC'),
    transport    LowCardinality(String),
    size         UInt32,
    truncated    UInt8
) ENGINE = ReplacingMergeTree
ORDER BY (tenant, source, id)
