"""A deterministic sample of synthesized-style QA, in several input formats, for the demo and tests.

What ``write_sample(directory)`` writes (no external data; same seed → same bytes):

- ``qa_synth.jsonl``: flat QA with ``discipline`` as a ``"STEM/Physics/Optics"`` string;
- ``chat_synth.jsonl.zst``: chat ``messages`` with a system turn, two zstd frames;
- ``batch_output.jsonl``: OpenAI Batch API output (no question: that is in the requests file),
  with ``<think>``-free answers and ``reasoning_content`` for the reasoning model;
- ``textbook.jsonl``: short plain-text paragraphs (``{"text": ...}``);
- ``_batch_requests/batch_input.jsonl``: the Batch API *input* (give it as ``requests=``);
- ``_truth/duplicates.jsonl``: ground truth of the planted duplicates, one line each:
  ``{"id", "of", "kind": "exact"|"near", "edit"}`` (directories starting with ``_`` are not
  ingested when the sample directory is given as input).

The QA comes from ~30 templates over ~27 discipline paths (arithmetic to Chinese poetry). Each
template draws a scenario, names, quantities and one of several phrasings, and states the worked
answer as steps computed from the values; every item then gets a generator-style frame (a
learner's context or task prefix, an instruction, an opening line, a step layout, a remark, a
closing line), so items differ the way generator output does: same kinds of problems, different
wording and content. About 13% are Chinese. Fact templates (capitals, dates, poems) use each fact
once. Text paragraphs are runs of five or more facts, or worked examples.

Templates still repeat themselves over thousands of draws (alone, they leave default dedup
removing ~4% of the base items of the default sample), and the demo must show dedup finding the
*planted* duplicates, so base items and paragraphs pass a diversity filter, as a synthesis
pipeline filters its own output: one whose character 5-gram Jaccard similarity (dedup's default
shingling) to an earlier one of its template and discipline reaches ``MAX_BASE_SIMILARITY`` is
redrawn (about one draw in five). tests/demo/test_sample.py checks all pairs and the dedup result.
Planted on top: exact duplicates (~4%, often in another file) and near duplicates (~6%: a word
swapped for a synonym or deleted, punctuation or case changed, doubled spaces, a Chinese
character dropped), plus a handful of malformed lines, each a case the quarantine must catch.

Where each part lives: ``files`` (the input formats and ``write_sample``), ``items`` (drawing
base items and planting duplicates), ``template`` (what a template returns), ``topics_*`` (the
templates and their tables), ``framing`` (the generator-style frame), ``variants`` (near-duplicate
edits, the diversity filter), ``textbook`` (the text paragraphs); ``stream`` is not part of the
sample: millions of distinct records for scale runs, walks of a word chain built from these
templates (``benchmarks/dedup_scale.py``, ``tools/make_large_input.py``).
"""

from boostpack.demo.sample.files import REQUESTS_PATH, TRUTH_PATH, write_sample
from boostpack.demo.sample.variants import MAX_BASE_SIMILARITY

__all__ = ["MAX_BASE_SIMILARITY", "REQUESTS_PATH", "TRUTH_PATH", "write_sample"]
