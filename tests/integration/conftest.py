"""Fixtures of the integration tests: the shared Kafka broker of tests/kafka_broker.py."""

from tests.kafka_broker import kafka_broker, kafka_url

__all__ = ["kafka_broker", "kafka_url"]
