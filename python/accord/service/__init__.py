"""A verifiable coordination service: the primitives that let agents submit positions
and bids that others can check, and let third parties check agreed outcomes.

* :mod:`~accord.service.hash_commit` -- salted, domain-separated hash commitments;
* :mod:`~accord.service.pedersen` -- Pedersen commitments on secp256k1 and Schnorr
  proofs of knowledge of an opening;
* :mod:`~accord.service.range_proof` -- proofs that a committed value lies in
  ``[0, 2**k)`` (bitwise, Cramer-Damgard-Schoenmakers OR-proofs);
* :mod:`~accord.service.bls` -- BLS12-381 signatures, aggregates, threshold keys and
  quorum certificates verifiable offline.
"""

from .._extras import require_extra

require_extra(__name__, "service")

from .bls import (
    BlsKey,
    QuorumCertificate,
    ThresholdKeys,
    aggregate,
    certificate_message,
    certify,
    combine_shares,
    deal_threshold,
    quorum,
    sign_share,
    verify,
    verify_certificate,
    verify_share,
)
from .hash_commit import hash_commit, verify_hash_commit
from .pedersen import Commitment, OpeningProof, commit, prove_opening, verify_opening_proof
from .range_proof import RangeProof, prove_range, verify_range

__all__ = [
    "BlsKey",
    "Commitment",
    "OpeningProof",
    "QuorumCertificate",
    "RangeProof",
    "ThresholdKeys",
    "aggregate",
    "certificate_message",
    "certify",
    "combine_shares",
    "commit",
    "deal_threshold",
    "hash_commit",
    "prove_opening",
    "prove_range",
    "quorum",
    "sign_share",
    "verify",
    "verify_certificate",
    "verify_hash_commit",
    "verify_opening_proof",
    "verify_range",
    "verify_share",
]
