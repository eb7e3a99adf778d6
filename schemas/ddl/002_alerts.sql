-- Alerts are republished with a higher version while they grow; the highest version wins.
CREATE TABLE IF NOT EXISTS alerts (
    tenant      LowCardinality(String),
    id          String,
    version     UInt32,
    rule_id     String,
    rule_title  String,
    level       LowCardinality(String),
    tags        Array(String),
    group_json  String,
    first_seen  DateTime64(3, 'UTC'),
    last_seen   DateTime64(3, 'UTC'),
    count       UInt64,
    event_ids   Array(String),
    risk_score  Float32,
    doc         String
) ENGINE = ReplacingMergeTree(version)
ORDER BY (tenant, id)
