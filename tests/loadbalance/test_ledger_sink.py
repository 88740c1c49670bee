"""The ledger argument: True, False or a ledger sink injected into the load balancer (the
service's replicated sinks are tested in tests/service/test_stream_sink.py)."""

from dataclasses import replace

import pytest

from accord.consensus import Ledger, LedgerError
from accord.loadbalance import LedgerSink, LoadBalanceConfig, LoadBalancer, simulate


class ListSink:
    """A sink that keeps a local Ledger: what the protocol asks, nothing more."""

    def __init__(self, tamper_at: int | None = None) -> None:
        self.ledger = Ledger()
        self.closed = 0
        self.tamper_at = tamper_at

    def __len__(self):  # an empty sink is falsy: the balancer must not mistake it for False
        return len(self.ledger)

    def append(self, record):
        e = self.ledger.append(record)
        return {"index": e.index, "hash": e.hash.hex()}

    def close(self):
        self.closed += 1

    def fetch(self):
        entries = list(self.ledger)
        if self.tamper_at is not None:
            e = entries[self.tamper_at]
            entries[self.tamper_at] = replace(e, record={**e.record, "reserve": -1.0})
        return entries, self.ledger.head


def test_a_sink_gets_the_local_ledger_records_round_by_round():
    local = simulate(n_servers=5, rounds=40, seed=3)
    sink = ListSink()
    assert isinstance(sink, LedgerSink)
    r = simulate(n_servers=5, rounds=40, seed=3, ledger=sink)
    assert r.ledger is None and r.ledger_sink is sink and r.config.ledger is True
    assert sink.closed == 1  # simulate closes the sink after the last round
    assert [e.record for e in sink.ledger] == [e.record for e in local.ledger]
    assert sink.ledger.head == local.ledger.head
    check = r.verify_ledger()
    assert (check.entries, check.head, check.trusted_head) == (40, local.ledger.head, True)
    assert r.summary()["welfare"] == local.summary()["welfare"]


def test_a_tampered_record_from_the_sink_fails_verification():
    r = simulate(n_servers=4, rounds=12, seed=1, ledger=ListSink(tamper_at=7))
    with pytest.raises(LedgerError, match="ledger entry 7: hash does not match"):
        r.verify_ledger()


def test_a_short_fetch_fails_verification():
    class Short(ListSink):
        def fetch(self):
            return list(self.ledger)[:-1], None

    r = simulate(n_servers=4, rounds=6, seed=1, ledger=Short())
    with pytest.raises(LedgerError, match="the ledger has 5 rounds, the run 6"):
        r.verify_ledger()


def test_the_argument_overrides_the_config_and_the_balancer_closes_the_sink():
    sink = ListSink()
    lb = LoadBalancer(LoadBalanceConfig(n_servers=3, rounds=5, ledger=False), seed=2, ledger=sink)
    assert lb.config.ledger is True
    r = lb.run()
    lb.run(3)  # a balancer may run more rounds: the sink stays open until close()
    assert sink.closed == 0 and len(sink.ledger) == 8 and len(r.welfare) == 5
    lb.close()
    assert sink.closed == 1
    off = LoadBalancer(LoadBalanceConfig(n_servers=3, rounds=5), seed=2, ledger=False)
    assert off.config.ledger is False and off.run().ledger is None
    plain = simulate(n_servers=3, rounds=4, seed=2, ledger=True)
    assert plain.ledger_sink is None and len(plain.ledger) == 4


@pytest.mark.parametrize(
    ("value", "exc", "match"),
    [
        ("replicated", ValueError, "SimLedgerSink.*setting of the loadbalance experiment"),
        (3, TypeError, "got int, which lacks append, close, fetch"),
        (Ledger(), TypeError, "got Ledger, which lacks close, fetch"),
    ],
)
def test_bad_ledger_values_are_named_before_any_round(value, exc, match):
    must = "ledger must be true, false or a ledger sink"
    with pytest.raises(exc, match=f"simulate\\(\\): {must}.*{match}"):
        simulate(n_servers=3, rounds=2, seed=1, ledger=value)
    with pytest.raises(exc, match=f"LoadBalancer\\(\\): {must}.*{match}"):
        LoadBalancer(LoadBalanceConfig(n_servers=3, rounds=2), ledger=value)


def test_a_sink_in_the_config_is_refused_with_the_fix():
    with pytest.raises(TypeError, match=r"simulate\(ledger=\.\.\.\) or LoadBalancer"):
        LoadBalanceConfig(ledger=ListSink())


def test_fetch_may_return_no_trusted_head():
    class Untrusted(ListSink):
        def fetch(self):
            return list(self.ledger), None

    check = simulate(n_servers=3, rounds=3, seed=1, ledger=Untrusted()).verify_ledger()
    assert check.entries == 3 and not check.trusted_head
