"""The keep rule: which document of each cluster is kept, and what becomes of the others.

In each cluster the kept document is the first in input order (``first``), the one with the
longest dedup text (``longest``) or the largest ``keep_max`` field: a *score*, largest first,
ties to the smallest document number. Clustering acts on *units*, one per exact group,
represented by the group's best member; the others are removed as ``exact`` copies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from boostpack.deduplication.plan import CONTAMINATED, EXACT, KEPT, NEAR, NONE


def best_per_group(cand: np.ndarray, group: np.ndarray, score: np.ndarray | None,
                   total: int) -> np.ndarray:
    """uint32[total]: for each group number, its member in ``cand`` that the keep policy keeps
    (largest score, then smallest document number; no score: keep first); NONE for groups
    without one."""
    keys = (cand, group[cand]) if score is None else (cand, -score[cand], group[cand])
    order = np.lexsort(keys)
    ranked = cand[order]
    head = np.ones(len(ranked), dtype=bool)
    head[1:] = group[ranked[1:]] != group[ranked[:-1]]
    best = np.full(total, NONE, dtype=np.uint32)
    best[group[ranked[head]]] = ranked[head]
    return best


def assign_units(similarity: Callable[[np.ndarray, np.ndarray], np.ndarray], units: np.ndarray, roots: np.ndarray, score: np.ndarray | None,
                 total: int, threshold: float | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Choose the kept unit of every cluster; return per unit ``(kept unit uint32, similarity
    to it float32, final cluster label int64)``. ``similarity(a, b)``: float32 signature
    Jaccard of the unit pairs ``(a[i], b[i])``.

    Without a threshold the union-find components (``roots``) are the clusters. With one, a
    unit stays in its cluster only if its signature similarity to the cluster's kept unit is
    >= threshold; the others (reached through a chain of verified pairs) form a new cluster of
    their own, in which the same rule applies, round after round. Labels
    ``round * total + root`` keep the clusters of different rounds apart.
    """
    label = roots[units].astype(np.int64)
    kept = best_per_group(units, roots, score, total)[roots[units]]
    sim = np.ones(len(units), dtype=np.float32)
    active = np.flatnonzero(kept != units)
    level = 0
    while len(active):
        sim[active] = similarity(units[active], kept[active])
        if threshold is None:
            break
        far = active[sim[active] < threshold]
        level += 1
        label[far] = level * total + roots[units[far]].astype(np.int64)
        if len(far):
            # Only the units that moved changed cluster; rank them within their new clusters.
            moved = units[far]
            keys = (moved, label[far]) if score is None else (moved, -score[moved], label[far])
            order = np.lexsort(keys)
            ranked = far[order]
            head = np.ones(len(ranked), dtype=bool)
            head[1:] = label[ranked[1:]] != label[ranked[:-1]]
            first_of = np.cumsum(head) - 1
            kept[ranked] = units[ranked[head]][first_of]
            sim[far] = 1.0
        active = far[kept[far] != units[far]]
    return kept, sim, label


@dataclass
class Decisions:
    """Per document (all ``total`` of them; references stay ``KEPT``): ``action uint8``,
    ``dup_of uint32`` (NONE when kept), ``similarity float32``; and the size of every final
    cluster of inputs, ``sizes int64[clusters]``."""

    action: np.ndarray
    dup_of: np.ndarray
    similarity: np.ndarray
    sizes: np.ndarray


def decide(total: int, cand: np.ndarray, unit_of: np.ndarray, units: np.ndarray,
           kept_unit: np.ndarray, sim_unit: np.ndarray, label: np.ndarray,
           exact_first: np.ndarray) -> Decisions:
    """The decisions about the candidates ``cand`` (inputs not contaminated), given each one's
    unit (``unit_of``), and each unit's kept unit, similarity to it and cluster label."""
    idx = np.searchsorted(units, unit_of).astype(np.uint32)  # each candidate's unit
    rep = kept_unit[idx]
    action = np.full(total, KEPT, dtype=np.uint8)
    dup_of = np.full(total, NONE, dtype=np.uint32)
    sim = np.ones(total, dtype=np.float32)
    gone = rep != cand
    removed = cand[gone]
    # "exact": an identical copy ranks ahead of it (what an exact-only pass would remove);
    # "near": it is the best of its identical copies but not of its cluster.
    action[removed] = np.where(unit_of[gone] != removed, EXACT, NEAR)
    dup_of[removed] = rep[gone]
    sim[removed] = np.where(exact_first[removed] == exact_first[rep[gone]], 1.0, sim_unit[idx[gone]])
    _, sizes = np.unique(label[idx], return_counts=True)
    return Decisions(action, dup_of, sim, sizes)


def mark_contaminated(decisions: Decisions, docs: np.ndarray, ref: np.ndarray, sim: np.ndarray,
                      ref_count: int) -> None:
    """Contaminated inputs are removed; ``dup_of``/``similarity`` name their closest reference."""
    decisions.action[docs[docs >= ref_count]] = CONTAMINATED
    decisions.dup_of[docs], decisions.similarity[docs] = ref, sim
