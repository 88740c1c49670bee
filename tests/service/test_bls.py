"""BLS signatures, threshold keys and quorum certificates, cross-checked against the
independent pure-Python py_ecc implementation of the same IETF ciphersuite."""

import itertools
import sys

import pytest

pytest.importorskip("chia_rs", reason="the 'service' extra is not installed")

from accord.service import bls  # noqa: E402

_limit = sys.getrecursionlimit()
py_ecc_bls = pytest.importorskip("py_ecc.bls", reason="py_ecc (test extra) is not installed")
# py_ecc raises the interpreter's recursion limit to 100,000 on import; other tests rely on
# the default limit to turn over-deep JSON into RecursionError instead of a stack overflow
sys.setrecursionlimit(_limit)
PyAug = py_ecc_bls.G2MessageAugmentation

SEEDS = [bytes([k]) * 32 for k in range(7)]
OUTCOME = {"instance": "auction-9", "seq": 41, "winner": 3, "price": 120}


def _cluster(n):
    keys = [bls.BlsKey.generate(SEEDS[r % len(SEEDS)] + bytes([n, r])) for r in range(n)]
    return keys, [k.public for k in keys]


def test_keygen_and_signatures_match_py_ecc():
    """For the same secret: the same SkToPk and Sign (message augmentation) byte for
    byte, and each library verifies the other's signatures and aggregates.  (KeyGen is
    not compared: chia_rs follows an earlier revision of the draft's KeyGen.)"""
    msg = b"agreed outcome"
    ours, theirs = [], []
    for seed in SEEDS[:3]:
        k = bls.BlsKey.generate(seed)
        sk = int.from_bytes(bytes(k.secret), "big")
        assert 0 < sk < bls.SUBGROUP_ORDER
        assert k.public == PyAug.SkToPk(sk)
        sig = k.sign(msg)
        assert sig == PyAug.Sign(sk, msg)
        assert PyAug.Verify(k.public, msg, sig)
        ours.append(sig)
        theirs.append(k.public)
    agg = bls.aggregate(ours)
    assert agg == PyAug.Aggregate(ours)
    assert PyAug.AggregateVerify(theirs, [msg] * 3, agg)


def test_verify_rejects_wrong_key_message_and_bad_points():
    k, other = bls.BlsKey.generate(SEEDS[0]), bls.BlsKey.generate(SEEDS[1])
    sig = k.sign(b"m")
    assert bls.verify(k.public, b"m", sig)
    assert not bls.verify(other.public, b"m", sig)
    assert not bls.verify(k.public, b"m2", sig)
    identity_pk = bytes([0xC0]) + bytes(47)
    identity_sig = bytes([0xC0]) + bytes(95)
    assert not bls.verify(identity_pk, b"m", identity_sig)
    assert not bls.verify(k.public[:-1], b"m", sig)
    assert not bls.verify(k.public, b"m", bytes(96))
    with pytest.raises(ValueError, match="identity"):
        bls.parse_public_key(identity_pk)
    with pytest.raises(ValueError, match="must be 96 bytes"):
        bls.aggregate([sig[:10]])
    with pytest.raises(ValueError, match="must not be empty"):
        bls.aggregate([])


@pytest.mark.parametrize("n", [4, 7, 10])
def test_certificate_needs_a_quorum_of_distinct_replicas(n):
    keys, pks = _cluster(n)
    q = bls.quorum(n)
    assert q == 2 * ((n - 1) // 3) + 1
    msg = bls.certificate_message(OUTCOME)
    sigs = {r: keys[r].sign(msg) for r in range(n)}
    full = bls.certify({r: sigs[r] for r in range(q)})
    assert bls.verify_certificate(OUTCOME, full, pks)
    assert bls.verify_certificate(
        dict(reversed(OUTCOME.items())), full, pks
    )  # canonical: key order does not matter
    short = bls.certify({r: sigs[r] for r in range(q - 1)})
    assert not bls.verify_certificate(OUTCOME, short, pks)
    assert not bls.verify_certificate({**OUTCOME, "price": 121}, full, pks)
    relabelled = bls.QuorumCertificate(tuple(range(1, q + 1)), full.signature)
    assert not bls.verify_certificate(OUTCOME, relabelled, pks)
    dup = bls.QuorumCertificate((0,) * q, bls.aggregate([sigs[0]] * q))
    assert not bls.verify_certificate(OUTCOME, dup, pks)
    outside = bls.QuorumCertificate((*range(q - 1), n), full.signature)
    assert not bls.verify_certificate(OUTCOME, outside, pks)
    assert bls.verify_certificate(OUTCOME, bls.QuorumCertificate.from_json(full.to_json()), pks)


def test_a_byzantine_replica_cannot_complete_a_quorum_with_a_forged_share():
    keys, pks = _cluster(4)
    msg = bls.certificate_message(OUTCOME)
    forged = keys[3].sign(bls.certificate_message({**OUTCOME, "winner": 2}))
    cert = bls.certify({0: keys[0].sign(msg), 1: keys[1].sign(msg), 3: forged})
    assert not bls.verify_certificate(OUTCOME, cert, pks)


@pytest.mark.parametrize("n", [4, 7])
def test_verify_shares_keeps_exactly_the_valid_shares(n):
    """Checked together when all verify, one by one otherwise: the same answer as
    checking each share alone, for every pattern of good and bad shares."""
    keys, pks = _cluster(n)
    msg = bls.certificate_message(OUTCOME)
    good = {r: keys[r].sign(msg) for r in range(n)}
    bad = {r: keys[r].sign(msg + b"x") for r in range(n)}
    for pattern in itertools.product([None, True, False], repeat=min(n, 5)):
        shares = {
            r: (good if ok else bad)[r] for r, ok in enumerate(pattern) if ok is not None
        }
        alone = {r for r, sig in shares.items() if bls.verify(pks[r], msg, sig)}
        assert bls.verify_shares(msg, shares, pks) == alone
    junk = {0: good[0], 1: b"\x00" * 96, 2: good[2][:50], n: good[1], -1: good[1]}
    assert bls.verify_shares(msg, junk, pks) == {0}  # wrong lengths, indices: not shares
    assert bls.verify_shares(msg, {0: good[0], 2: good[2]}, pks) == {0, 2}


def test_shares_of_faulty_signers_may_cancel_but_never_forge_an_honest_one():
    """Two faulty replicas can make shares that fail alone and verify in aggregate
    (sigma_a + D and sigma_b - D); :func:`verify_shares` accepts them, and the
    certificate made of them still proves what it claims: every honest signer signed.
    The same trick cannot stand in for an honest replica that did not sign."""
    keys, pks = _cluster(7)
    msg = bls.certificate_message(OUTCOME)
    d = bls.parse_signature(keys[6].sign(b"anything"))
    minus_d = bls._g2_multiply(d, bls.SUBGROUP_ORDER - 1)
    a = bytes(bls.parse_signature(keys[0].sign(msg)) + d)
    b = bytes(bls.parse_signature(keys[1].sign(msg)) + minus_d)
    assert not bls.verify(pks[0], msg, a) and not bls.verify(pks[1], msg, b)
    shares = {0: a, 1: b, **{r: keys[r].sign(msg) for r in (2, 3, 4)}}
    assert bls.verify_shares(msg, shares, pks) == {0, 1, 2, 3, 4}
    assert bls.verify_certificate(OUTCOME, bls.certify(shares), pks)
    # replica 4 honest and silent: faulty 0 and 1 cannot put 4 in a certificate
    fake4 = bytes(bls.parse_signature(keys[0].sign(msg)) + d)
    forged = {0: a, 1: b, 2: shares[2], 3: shares[3], 4: fake4}
    assert bls.verify_shares(msg, forged, pks) == {2, 3}


def test_threshold_any_t_partials_give_the_group_signature():
    t, n = 3, 5
    tk = bls.deal_threshold(t, n, seed=b"dealer")
    msg = b"group decision"
    partials = {i: bls.sign_share(tk.shares[i - 1], tk.group_public, msg) for i in range(1, n + 1)}
    for i in range(1, n + 1):
        assert bls.verify_share(tk.verification_keys[i - 1], tk.group_public, msg, partials[i])
    sigs = set()
    for subset in itertools.combinations(range(1, n + 1), t):
        sig = bls.combine_shares({i: partials[i] for i in subset}, t)
        assert bls.verify(tk.group_public, msg, sig)
        sigs.add(sig)
    assert len(sigs) == 1  # BLS is deterministic: every quorum gives the same signature
    assert PyAug.Verify(tk.group_public, msg, sigs.pop())


def test_threshold_rejects_too_few_and_bad_partials():
    t, n = 3, 4
    tk = bls.deal_threshold(t, n, seed=b"dealer-2")
    msg = b"m"
    partials = {i: bls.sign_share(tk.shares[i - 1], tk.group_public, msg) for i in (1, 2, 3)}
    with pytest.raises(ValueError, match="need 3 partial signatures, got 2"):
        bls.combine_shares({1: partials[1], 2: partials[2]}, t)
    wrong = bls.sign_share(tk.shares[3], tk.group_public, msg)  # share 4 posing as 3
    assert not bls.verify_share(tk.verification_keys[2], tk.group_public, msg, wrong)
    bad = bls.combine_shares({1: partials[1], 2: partials[2], 3: wrong}, t)
    assert not bls.verify(tk.group_public, msg, bad)
    # a share's ordinary signature is not a partial of the group's
    plain = bls.BlsKey(tk.shares[0]).sign(msg)
    assert not bls.verify_share(tk.verification_keys[0], tk.group_public, msg, plain)


def test_threshold_group_key_is_the_secret_at_zero():
    """Lagrange interpolation of the verification keys' secrets at 0 is the group secret
    (checked with py_ecc's own group arithmetic)."""
    from py_ecc.bls.g2_primitives import G1_to_pubkey
    from py_ecc.optimized_bls12_381 import G1, multiply

    tk = bls.deal_threshold(2, 3, seed=b"dealer-3")
    s = [int.from_bytes(bytes(k), "big") for k in tk.shares]
    r = bls.SUBGROUP_ORDER
    secret = (2 * s[0] - s[1]) % r  # lambda_1 = 2, lambda_2 = -1 at x = 0
    assert G1_to_pubkey(multiply(G1, secret)) == tk.group_public


@pytest.mark.parametrize(
    ("t", "n", "match"), [(0, 3, "threshold <= n"), (4, 3, "threshold <= n"), (2.0, 3, "int")]
)
def test_deal_threshold_rejects_bad_sizes(t, n, match):
    with pytest.raises((ValueError, TypeError), match=match):
        bls.deal_threshold(t, n)
