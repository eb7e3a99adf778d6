-- One row per ECS event; duplicates (at-least-once redelivery) collapse on (tenant, id).
CREATE TABLE IF NOT EXISTS events (
    tenant        LowCardinality(String),
    id            String,
    raw_id        String,
    source        LowCardinality(String),
    timestamp     DateTime64(3, 'UTC'),
    ingested      DateTime64(3, 'UTC'),
    dataset       LowCardinality(String),
    category      Array(LowCardinality(String)),
    action        String,
    outcome       LowCardinality(String),
    host_name     String,
    source_ip     String,
    user_name     String,
    message       String,
    doc           String,
    retention_days UInt16 DEFAULT 365
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(ingested)
ORDER BY (tenant, id)
TTL toDateTime(ingested) + toIntervalDay(retention_days)
