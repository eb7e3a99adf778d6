-- Inputs a stage could not handle; the id derives from stage and input id, so redelivery dedups.
CREATE TABLE IF NOT EXISTS dead_letters (
    tenant        LowCardinality(String),
    id            String,
    stage         LowCardinality(String),
    source_topic  String,
    record_id     String,
    source        LowCardinality(String),
    error         String,
    payload       String,
    at            DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree
ORDER BY (tenant, id)
