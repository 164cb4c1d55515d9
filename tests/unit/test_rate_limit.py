from gateway.rate_limit import TokenBuckets


def test_a_burst_is_allowed_then_refused_with_retry_after() -> None:
    buckets = TokenBuckets(burst=3, per_second=1.0)
    assert [buckets.take("k", 0.0).allowed for _ in range(3)] == [True, True, True]
    refused = buckets.take("k", 0.0)
    assert not refused.allowed
    assert refused.retry_after_s == 1


def test_tokens_refill_at_the_rate() -> None:
    buckets = TokenBuckets(burst=2, per_second=0.5)
    buckets.take("k", 0.0)
    buckets.take("k", 0.0)
    assert not buckets.take("k", 1.0).allowed
    assert buckets.take("k", 2.0).allowed


def test_retry_after_is_whole_seconds_until_one_token() -> None:
    buckets = TokenBuckets(burst=1, per_second=10 / 60)
    buckets.take("k", 0.0)
    assert buckets.take("k", 0.0).retry_after_s == 6


def test_keys_are_independent() -> None:
    buckets = TokenBuckets(burst=1, per_second=1.0)
    assert buckets.take("a", 0.0).allowed
    assert buckets.take("b", 0.0).allowed
    assert not buckets.take("a", 0.0).allowed


def test_refill_never_exceeds_the_burst() -> None:
    buckets = TokenBuckets(burst=2, per_second=100.0)
    buckets.take("k", 0.0)
    outcomes = [buckets.take("k", 1000.0).allowed for _ in range(3)]
    assert outcomes == [True, True, False]


def test_full_buckets_are_forgotten_when_the_key_limit_is_reached() -> None:
    buckets = TokenBuckets(burst=1, per_second=1.0, max_keys=2)
    buckets.take("a", 0.0)
    buckets.take("b", 0.0)
    buckets.take("c", 10.0)
    assert not buckets.take("c", 10.0).allowed
    assert buckets.take("a", 10.0).allowed
