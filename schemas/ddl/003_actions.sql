-- Action requests and results share the table; kind tells them apart.
CREATE TABLE IF NOT EXISTS actions (
    tenant      LowCardinality(String),
    id          String,
    kind        LowCardinality(String),
    alert_id    String,
    playbook    String,
    step        UInt16,
    adapter     LowCardinality(String),
    action      String,
    status      LowCardinality(String),
    at          DateTime64(3, 'UTC'),
    doc         String
) ENGINE = ReplacingMergeTree
ORDER BY (tenant, id)
