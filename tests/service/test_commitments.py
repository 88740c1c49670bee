"""Hash and Pedersen commitments, opening proofs and range proofs: known answers,
completeness, and soundness against tampered or misplaced proofs."""

import hashlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("coincurve", reason="the 'service' extra is not installed")

from accord.service import pedersen as ped  # noqa: E402
from accord.service.hash_commit import (  # noqa: E402
    HASH_DOMAIN,
    SALT_BYTES,
    hash_commit,
    verify_hash_commit,
)
from accord.service.range_proof import (  # noqa: E402
    BitProof,
    RangeProof,
    prove_range,
    verify_range,
)

P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F
CTX = b"auction 7 / bidder 3"

# SEC 2 (v2, Sec. 2.4.1): secp256k1's generator, and 2G from the curve's published tables.
G_HEX = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
TWO_G_HEX = "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5"


def test_generators_known_answers():
    assert ped.G.format().hex() == G_HEX
    assert ped.scalar_mul(ped.G, 2).format().hex() == TWO_G_HEX
    assert ped.point_sum([ped.G, ped.G]).format().hex() == TWO_G_HEX


def test_second_generator_is_the_first_hashed_x_on_the_curve():
    """H's x is SHA-256(label || counter) for the first counter whose x^3 + 7 is a square
    mod p (Euler's criterion, checked here independently), with even y."""
    h = ped.H.format()
    assert h[0] == 2
    for counter in range(100):
        d = hashlib.sha256(ped.GENERATOR_H_LABEL + counter.to_bytes(4, "big")).digest()
        x = int.from_bytes(d, "big")
        on_curve = x < P and pow(x**3 + 7, (P - 1) // 2, P) == 1
        if on_curve:
            assert h[1:] == d
            break
    else:
        pytest.fail("no counter below 100 gives a point")
    assert ped.H.format() != ped.G.format()


def test_hash_commit_known_answer():
    salt = bytes(range(SALT_BYTES))
    value = {"bid": 120, "item": "slot-3"}
    c, s = hash_commit(value, CTX, salt)
    assert s == salt
    h = hashlib.sha256(HASH_DOMAIN)
    text = json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
    for part in (CTX, salt, text):
        h.update(len(part).to_bytes(4, "big") + part)
    assert c == h.digest()


def test_hash_commit_opens_only_with_its_value_salt_and_context():
    c, salt = hash_commit({"b": 1, "a": [1.5, None]}, CTX)
    assert verify_hash_commit(c, {"a": [1.5, None], "b": 1}, salt, CTX)  # key order
    assert not verify_hash_commit(c, {"a": [1.5, None], "b": 2}, salt, CTX)
    assert not verify_hash_commit(c, {"a": [1.5, None], "b": 1}, bytes(32), CTX)
    assert not verify_hash_commit(c, {"a": [1.5, None], "b": 1}, salt, b"another bidder")
    assert not verify_hash_commit(c, {"a": [1.5, None], "b": 1}, salt[:-1], CTX)
    assert not verify_hash_commit(c, float("nan"), salt, CTX)
    c2, salt2 = hash_commit({"b": 1, "a": [1.5, None]}, CTX)
    assert salt2 != salt and c2 != c  # fresh salt: equal bids do not look equal


@pytest.mark.parametrize(
    ("value", "salt", "match"),
    [
        (float("nan"), None, "finite"),
        (b"raw", None, "bytes"),
        ({1: 2}, None, "str"),
        (1, b"short", "salt must be 32 bytes"),
    ],
)
def test_hash_commit_rejects_bad_input(value, salt, match):
    with pytest.raises(ValueError, match=match):
        hash_commit(value, CTX, salt)


scalars = st.integers(min_value=0, max_value=ped.ORDER - 1)
nonzero = st.integers(min_value=1, max_value=ped.ORDER - 1)


@settings(max_examples=25, deadline=None)
@given(v1=st.integers(0, 2**64), v2=st.integers(0, 2**64), r1=nonzero, r2=nonzero)
def test_pedersen_is_additively_homomorphic(v1, v2, r1, r2):
    c1, _ = ped.commit(v1, r1)
    c2, _ = ped.commit(v2, r2)
    r = (r1 + r2) % ped.ORDER
    if r == 0:
        return
    assert ped.verify_opening(c1 + c2, v1 + v2, r)
    assert ped.verify_opening((c1 + c2) - c2, v1, r1)


def test_pedersen_commit_is_value_g_plus_blinding_h():
    c, r = ped.commit(5, 7)
    expected = ped.point_sum([ped.scalar_mul(ped.G, 5), ped.scalar_mul(ped.H, 7)])
    assert c.data == expected.format() and r == 7
    assert ped.verify_opening(c, 5, 7)
    assert not ped.verify_opening(c, 6, 7)
    assert not ped.verify_opening(c, 5, 8)
    assert not ped.verify_opening(c, -1, 7)


def test_pedersen_hides_equal_values():
    a, _ = ped.commit(42)
    b, _ = ped.commit(42)
    assert a != b


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"value": -1}, ValueError, "value must be in"),
        ({"value": ped.ORDER}, ValueError, "value must be in"),
        ({"value": 1.0}, TypeError, "value must be an int"),
        ({"value": True}, TypeError, "value must be an int"),
        ({"value": 1, "blinding": 0}, ValueError, "blinding must be nonzero"),
    ],
)
def test_pedersen_rejects_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        ped.commit(**kwargs)


@pytest.mark.parametrize(
    "data",
    [
        b"\x00" * 33,  # no encoding of the identity
        b"\x02" + (P - 1).to_bytes(32, "big"),  # x beyond the curve
        b"\x05" + bytes(32),  # bad prefix
        bytes.fromhex(G_HEX)[:32],  # short
    ],
)
def test_bad_points_are_refused(data):
    with pytest.raises(ValueError):
        ped.Commitment(data)


def test_opening_proof_is_complete_and_bound_to_context():
    c, r = ped.commit(1234)
    proof = ped.prove_opening(c, 1234, r, CTX)
    assert ped.verify_opening_proof(c, proof, CTX)
    assert ped.verify_opening_proof(c, ped.OpeningProof.from_json(proof.to_json()), CTX)
    assert not ped.verify_opening_proof(c, proof, b"auction 7 / bidder 4")
    other, _ = ped.commit(1234)
    assert not ped.verify_opening_proof(other, proof, CTX)


def test_opening_proof_rejects_tampering():
    c, r = ped.commit(99)
    p = ped.prove_opening(c, 99, r, CTX)
    for bad in (
        ped.OpeningProof(p.t, (p.s1 + 1) % ped.ORDER, p.s2),
        ped.OpeningProof(p.t, p.s1, (p.s2 + 1) % ped.ORDER),
        ped.OpeningProof(ped.G.format(), p.s1, p.s2),
        ped.OpeningProof(b"\x00" * 33, p.s1, p.s2),
        ped.OpeningProof(p.t, p.s1 + ped.ORDER, p.s2),
    ):
        assert not ped.verify_opening_proof(c, bad, CTX)


def test_opening_proof_needs_a_true_opening():
    c, r = ped.commit(5)
    with pytest.raises(ValueError, match="does not open"):
        ped.prove_opening(c, 6, r, CTX)


@pytest.mark.parametrize(("value", "bits"), [(0, 1), (1, 1), (0, 8), (255, 8), (1000, 16)])
def test_range_proof_is_complete(value, bits):
    c, r = ped.commit(value)
    proof = prove_range(c, value, r, bits, CTX)
    assert verify_range(c, proof, bits, CTX)
    assert verify_range(c, RangeProof.from_json(proof.to_json()), bits, CTX)


def test_range_proof_is_bound_to_commitment_context_and_width():
    c, r = ped.commit(77)
    proof = prove_range(c, 77, r, 8, CTX)
    assert not verify_range(c, proof, 7, CTX)
    assert not verify_range(c, proof, 9, CTX)
    assert not verify_range(c, proof, 8, b"other context")
    c2, _ = ped.commit(77)
    assert not verify_range(c2, proof, 8, CTX)
    assert not verify_range(c + ped.Commitment(ped.G.format()), proof, 8, CTX)


def test_range_proof_rejects_tampering():
    c, r = ped.commit(5)
    proof = prove_range(c, 5, r, 4, CTX)
    b = proof.bits[1]
    n = ped.ORDER
    swaps = [
        BitProof(b.commitment, b.a0, b.a1, b.e1, b.e0, b.z0, b.z1),
        BitProof(b.commitment, b.a0, b.a1, (b.e0 + 1) % n, (b.e1 - 1) % n, b.z0, b.z1),
        BitProof(b.commitment, b.a1, b.a0, b.e0, b.e1, b.z0, b.z1),
        BitProof(b.commitment, b.a0, b.a1, b.e0, b.e1, (b.z0 + 1) % n, b.z1),
        BitProof(b"\x00" * 33, b.a0, b.a1, b.e0, b.e1, b.z0, b.z1),
    ]
    for bad in swaps:
        forged = RangeProof(proof.bits[:1] + (bad,) + proof.bits[2:])
        assert not verify_range(c, forged, 4, CTX)


def test_range_proof_of_an_out_of_range_value_cannot_be_made_or_forged():
    """An honest prover refuses; a cheating prover that commits the "bit" 2 and
    simulates both branches cannot meet the Fiat-Shamir challenge."""
    c, r = ped.commit(16)
    with pytest.raises(ValueError, match="in \\[0, 2\\*\\*4\\)"):
        prove_range(c, 16, r, 4, CTX)
    # bits 0..3 of 16 with the top "bit" worth 2: 2 * 2**3 = 16
    rs = [ped.random_scalar() for _ in range(3)]
    r_top = (r - sum(x << j for j, x in enumerate(rs))) * pow(8, -1, ped.ORDER) % ped.ORDER
    bits = []
    for bit, rj in zip((0, 0, 0, 2), (*rs, r_top), strict=True):
        cj = ped.point_sum([ped.scalar_mul(ped.G, bit), ped.scalar_mul(ped.H, rj)])
        targets = [cj, ped.point_sum([cj, ped.negate(ped.G)])]
        es = [ped.random_scalar(), ped.random_scalar()]
        zs = [ped.random_scalar(), ped.random_scalar()]
        a = [
            ped.point_sum([ped.scalar_mul(ped.H, z), ped.scalar_mul(ped.negate(t), e)])
            for t, e, z in zip(targets, es, zs, strict=True)
        ]
        bits.append(BitProof(cj.format(), a[0].format(), a[1].format(), *es, *zs))
    forged = RangeProof(tuple(bits))
    assert not verify_range(c, forged, 4, CTX)
    # the decomposition itself is right: only the OR-proofs fail
    total = ped.point_sum(
        ped.scalar_mul(ped.point(b.commitment), 1 << j) for j, b in enumerate(bits)
    )
    assert total.format() == c.data


@pytest.mark.parametrize("bits", [0, 65, True, 2.0])
def test_range_proof_rejects_bad_widths(bits):
    c, r = ped.commit(1)
    with pytest.raises(ValueError, match="bits must be"):
        prove_range(c, 1, r, bits, CTX)
