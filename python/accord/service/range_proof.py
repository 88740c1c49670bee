"""Range proofs for Pedersen commitments: ``0 <= v < 2**k`` without revealing ``v``.

The value is split into bits, each bit committed as ``C_j = b_j G + r_j H`` with the
blindings chosen so that ``sum_j 2**j C_j = C``, and each ``C_j`` carries a proof that
it commits to 0 *or* 1: knowledge of ``log_H C_j`` or of ``log_H (C_j - G)``, the OR
composition of two Schnorr proofs by Cramer, Damgard & Schoenmakers (1994):
the prover simulates the branch it cannot prove, and the two challenges must add up to
the Fiat-Shamir challenge of the bit.  Every challenge binds the caller's context, the
commitment, the bit's index and the bit commitment.

A proof has ``k`` bit commitments and ``4 k`` scalars; proving and verifying cost
about ``5 k`` and ``4 k + k`` point multiplications (coincurve).
"""

from __future__ import annotations

from dataclasses import dataclass

from .pedersen import (
    ORDER,
    Commitment,
    G,
    H,
    challenge,
    negate,
    point,
    point_sum,
    random_scalar,
    scalar_mul,
    verify_opening,
)

__all__ = ["MAX_BITS", "BitProof", "RangeProof", "prove_range", "verify_range"]

#: The widest range a proof covers (values below 2**MAX_BITS).
MAX_BITS = 64


@dataclass(frozen=True)
class BitProof:
    """One bit's commitment and its OR-proof: first messages ``a0, a1``, challenges
    ``e0, e1`` and responses ``z0, z1`` of the branches "commits to 0" and "to 1"."""

    commitment: bytes
    a0: bytes
    a1: bytes
    e0: int
    e1: int
    z0: int
    z1: int


@dataclass(frozen=True)
class RangeProof:
    """``bits`` bit proofs, least significant first."""

    bits: tuple[BitProof, ...]

    def to_json(self) -> list[list[str]]:
        return [
            [b.commitment.hex(), b.a0.hex(), b.a1.hex()]
            + [f"{x:064x}" for x in (b.e0, b.e1, b.z0, b.z1)]
            for b in self.bits
        ]

    @classmethod
    def from_json(cls, rows: list[list[str]]) -> RangeProof:
        try:
            bits = []
            for r in rows:
                c, a0, a1, *s = r
                if len(s) != 4:
                    raise ValueError
                e0, e1, z0, z1 = (int(x, 16) for x in s)
                bits.append(
                    BitProof(bytes.fromhex(c), bytes.fromhex(a0), bytes.fromhex(a1), e0, e1, z0, z1)
                )
            return cls(tuple(bits))
        except (TypeError, ValueError):
            raise ValueError(
                "a range proof is a list of [commitment, a0, a1, e0, e1, z0, z1] in hex"
            ) from None


def _bit_challenge(
    context: bytes, commitment: Commitment, j: int, c: bytes, a0: bytes, a1: bytes
) -> int:
    return challenge(context, b"range-bit", commitment.data, j.to_bytes(2, "big"), c, a0, a1)


def prove_range(
    commitment: Commitment, value: int, blinding: int, bits: int, context: bytes
) -> RangeProof:
    """A proof that ``commitment`` opens to a value in ``[0, 2**bits)``; the prover
    gives the opening ``(value, blinding)``, which must hold and be in range."""
    if isinstance(bits, bool) or not isinstance(bits, int) or not 1 <= bits <= MAX_BITS:
        raise ValueError(f"bits must be an int in [1, {MAX_BITS}]")
    if not isinstance(value, int) or not 0 <= value < 1 << bits:
        raise ValueError(f"value must be in [0, 2**{bits}) to be proven in range")
    if not verify_opening(commitment, value, blinding):
        raise ValueError("(value, blinding) does not open the commitment")
    rs = [random_scalar() for _ in range(bits - 1)]
    partial = sum(r << j for j, r in enumerate(rs))
    rs.append((blinding - partial) * pow(1 << (bits - 1), -1, ORDER) % ORDER)
    out = []
    for j, r in enumerate(rs):
        b = (value >> j) & 1
        cj = point_sum([G if b else None, scalar_mul(H, r)])
        minus_g = point_sum([cj, negate(G)])
        if cj is None or minus_g is None:  # r H = -G or r H = 0: negligible
            raise RuntimeError("degenerate bit commitment")
        cb = cj.format()
        t_sim = minus_g if b == 0 else cj  # the branch simulated: "commits to 1 - b"
        w = random_scalar()
        e_sim, z_sim = random_scalar(), random_scalar()
        a_sim = point_sum([scalar_mul(H, z_sim), scalar_mul(negate(t_sim), e_sim)])
        a_real = scalar_mul(H, w)
        assert a_sim is not None and a_real is not None
        a = [a_real, a_sim] if b == 0 else [a_sim, a_real]
        e = _bit_challenge(context, commitment, j, cb, a[0].format(), a[1].format())
        e_real = (e - e_sim) % ORDER
        z_real = (w + e_real * r) % ORDER
        es = [e_real, e_sim] if b == 0 else [e_sim, e_real]
        zs = [z_real, z_sim] if b == 0 else [z_sim, z_real]
        out.append(BitProof(cb, a[0].format(), a[1].format(), es[0], es[1], zs[0], zs[1]))
    return RangeProof(tuple(out))


def verify_range(commitment: Commitment, proof: RangeProof, bits: int, context: bytes) -> bool:
    """Whether ``proof`` shows that ``commitment`` opens to a value in ``[0, 2**bits)``
    (``bits`` is the verifier's, not read from the proof)."""
    if not isinstance(proof, RangeProof) or len(proof.bits) != bits or not 1 <= bits <= MAX_BITS:
        return False
    weighted = []
    for j, bp in enumerate(proof.bits):
        if not all(0 <= x < ORDER for x in (bp.e0, bp.e1, bp.z0, bp.z1)):
            return False
        try:
            cj, a0, a1 = (point(x) for x in (bp.commitment, bp.a0, bp.a1))
        except ValueError:
            return False
        e = _bit_challenge(context, commitment, j, bp.commitment, bp.a0, bp.a1)
        if (bp.e0 + bp.e1) % ORDER != e:
            return False
        for target, a, e_b, z_b in (
            (cj, a0, bp.e0, bp.z0),
            (point_sum([cj, negate(G)]), a1, bp.e1, bp.z1),
        ):
            right = point_sum([a, None if target is None else scalar_mul(target, e_b)])
            left = scalar_mul(H, z_b)
            if left is None or right is None or left.format() != right.format():
                return False
        weighted.append(scalar_mul(cj, 1 << j))
    total = point_sum(weighted)
    return total is not None and total.format() == commitment.data
