"""Measure near-duplicate recall and precision of shingle types, n-gram sizes and thresholds on
real QA with planted paraphrase-like edits; the source of the defaults in docs/dedup-defaults.md.

    python tools/measure_near_dup_defaults.py [--corpus ../shared/corpora/qa_en.jsonl.zst]
        [--items 2000] [--seed 0] [--digits keep|class]

Labeled set: ``--items`` random real QA items (question, newline, answer; templated
``generated`` items left out, since their templates make distinct items near-identical by design),
plus one edited copy of each; items are drawn with distinct normalized 60-character prefixes. The edit kinds cycle over the items:
  delete1     one random word deleted
  swap1       one random word replaced by a random word of the corpus vocabulary
  swap10      10% of the words (at least one) replaced that way
  transpose1  two adjacent words exchanged
  punct_case  case and punctuation changed (words title-cased or lower-cased, punctuation
              removed or added), which normalization undoes
Positives are the (item, its edited copy) pairs; every other pair of the 2 x items documents is a
negative. Per configuration and threshold t it reports, by brute force over the true Jaccard of
the shingle sets: recall (share of positives with J >= t, per edit kind and for short items,
under 200 characters), precision (positives among all pairs with J >= t) and the false-positive
rate (share of negative pairs with J >= t); and the same through 128-permutation LSH with
datasketch's (bands, rows) for t: raw band-collision candidates, and candidates verified by
signature similarity >= t (what the dedup pipeline keeps).

Negatives are screened exhaustively by MinHash estimate (all pairs) and their exact Jaccard is
computed for every pair estimated within 0.2 of the lowest threshold; the estimate's standard
deviation at 128 permutations is at most 0.045, so no negative above a threshold is missed.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import re
import string
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import zstandard

from boostpack.deduplication.lsh import band_keys, optimal_params, signature_similarity
from boostpack.deduplication.minhash import DEFAULT_DIGITS, DIGIT_MODES, MinHasher, normalize

CONFIGS = [("char", 3), ("char", 4), ("char", 5), ("char", 7), ("word", 1), ("word", 3), ("word", 5)]
THRESHOLDS = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
KINDS = ["delete1", "swap1", "swap10", "transpose1", "punct_case"]
SHORT = 200
NUM_PERM = 128
SCREEN_MARGIN = 0.2


def load_items(path: Path, count: int, rng: random.Random, digits: str) -> list[str]:
    texts = []
    with open(path, "rb") as fh:
        reader = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(fh), encoding="utf-8")
        for line in reader:
            rec = json.loads(line)
            if rec.get("generated"):
                continue
            text = f"{rec['question']}\n{rec['answer']}"
            if len(text.split()) >= 3:
                texts.append(text)
    rng.shuffle(texts)
    # The corpus holds natural near-duplicates (CoQA questions on one passage, MBPP in 17
    # languages, MMLU repeats); one item per normalized 60-character prefix keeps them out of
    # the negatives, where they would count as false positives although they are duplicates.
    chosen, prefixes = [], set()
    for text in texts:
        prefix = normalize(text, digits=digits)[:60]
        if prefix not in prefixes:
            prefixes.add(prefix)
            chosen.append(text)
            if len(chosen) == count:
                break
    return chosen


def edit(text: str, kind: str, vocab: list[str], rng: random.Random) -> str:
    words = text.split(" ")
    if kind == "delete1":
        del words[rng.randrange(len(words))]
    elif kind == "swap1":
        words[rng.randrange(len(words))] = rng.choice(vocab)
    elif kind == "swap10":
        for i in rng.sample(range(len(words)), max(1, round(0.1 * len(words)))):
            words[i] = rng.choice(vocab)
    elif kind == "transpose1":
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
    elif kind == "punct_case":
        words = [w.lower() if rng.random() < 0.5 else w.title() for w in words]
        out = " ".join(words)
        out = out.translate(str.maketrans("", "", ",;:'\"")) if rng.random() < 0.5 else out
        return out.replace(" ", ", ", 2) + "!"
    return " ".join(words)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    if a.size == 0 and b.size == 0:
        return 1.0
    inter = np.intersect1d(a, b, assume_unique=True).size
    return inter / (a.size + b.size - inter)


def screen_pairs(sigs: np.ndarray, floor: float) -> list[tuple[int, int]]:
    """All pairs (i < j) whose signature estimate is >= floor, by exhaustive comparison."""
    pairs = []
    n = len(sigs)
    for start in range(0, n, 256):
        block = sigs[start:start + 256]
        est = (block[:, None, :] == sigs[None, :, :]).mean(axis=2)
        for bi, j in zip(*np.nonzero(est >= floor), strict=True):
            i = start + int(bi)
            if i < int(j):
                pairs.append((i, int(j)))
    return pairs


def lsh_candidates(sigs: np.ndarray, threshold: float) -> set[tuple[int, int]]:
    bands, rows = optimal_params(threshold, NUM_PERM)
    keys = band_keys(sigs, bands, rows)
    found: set[tuple[int, int]] = set()
    for band in range(bands):
        buckets: dict[int, list[int]] = defaultdict(list)
        for doc, key in enumerate(keys[:, band].tolist()):
            buckets[key].append(doc)
        for docs in buckets.values():
            for x in range(len(docs)):
                for y in range(x + 1, len(docs)):
                    found.add((docs[x], docs[y]))
    return found


def measure(shingle: str, ngram: int, docs: list[str], kinds: list[str], digits: str) -> list[dict]:
    n = len(kinds)
    hasher = MinHasher(num_perm=NUM_PERM, ngram=ngram, shingle=shingle, digits=digits)
    sets = [np.unique(hasher.shingle_hashes(d)) for d in docs]
    sigs = hasher.signatures(docs)
    positives = {(i, n + i) for i in range(n)}
    pos_j = np.array([jaccard(sets[i], sets[n + i]) for i in range(n)])
    short = np.array([len(docs[i]) < SHORT for i in range(n)])
    kind_arr = np.array(kinds)
    neg_j = []
    for i, j in screen_pairs(sigs, min(THRESHOLDS) - SCREEN_MARGIN):
        if (i, j) not in positives:
            neg_j.append(jaccard(sets[i], sets[j]))
    neg_j_arr = np.array(neg_j)
    total_neg = len(docs) * (len(docs) - 1) // 2 - n
    rows = []
    for t in THRESHOLDS:
        tp = int((pos_j >= t).sum())
        fp = int((neg_j_arr >= t).sum())
        row = {
            "config": f"{shingle} {ngram}", "t": t,
            "recall": tp / n,
            "recall_short": float((pos_j[short] >= t).mean()),
            "precision": tp / max(tp + fp, 1),
            "fp_rate": fp / total_neg,
        }
        for kind in KINDS:
            row[kind] = float((pos_j[kind_arr == kind] >= t).mean())
        cand = lsh_candidates(sigs, t)
        lsh_tp = len(cand & positives)
        verified = [p for p in cand if signature_similarity(sigs[[p[0]]], sigs[[p[1]]])[0] >= t]
        ver_tp = sum(1 for p in verified if p in positives)
        row["lsh_recall"] = lsh_tp / n
        row["lsh_precision"] = lsh_tp / max(len(cand), 1)
        row["ver_recall"] = ver_tp / n
        row["ver_precision"] = ver_tp / max(len(verified), 1)
        rows.append(row)
    return rows


def main() -> int:
    default_corpus = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "qa_en.jsonl.zst"
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=default_corpus)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--digits", choices=DIGIT_MODES, default=DEFAULT_DIGITS)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    started = time.perf_counter()
    items = load_items(args.corpus, args.items, rng, args.digits)
    vocab = sorted({w.strip(string.punctuation).lower() for t in items for w in t.split()} - {""})
    vocab = [w for w in vocab if re.fullmatch(r"[a-z]{3,}", w)]
    kinds = [KINDS[i % len(KINDS)] for i in range(len(items))]
    edited = [edit(t, k, vocab, rng) for t, k in zip(items, kinds, strict=True)]
    docs = items + edited
    print(f"{len(items)} real QA items + {len(edited)} edited copies, "
          f"{sum(len(t) < SHORT for t in items)} short (< {SHORT} chars); seed {args.seed}; "
          f"digits {args.digits!r}\n")
    cols = ["config", "t", "recall", "recall_short", *KINDS, "precision", "fp_rate",
            "lsh_recall", "lsh_precision", "ver_recall", "ver_precision"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for shingle, ngram in CONFIGS:
        for row in measure(shingle, ngram, docs, kinds, args.digits):
            cells = [row["config"], f"{row['t']:.1f}"]
            cells += [f"{row[c]:.3f}" if c != "fp_rate" else f"{row[c]:.1e}" for c in cols[2:]]
            print("| " + " | ".join(cells) + " |", flush=True)
    print(f"\n({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
