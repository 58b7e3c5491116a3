"""``boostpack report``: what is in the data and what dedup did to it (mix, lengths, dedup
effects, diversity), as JSON and one self-contained HTML page. ``build_report`` is the entry
point (also ``boostpack.report``); ``docs/report.md`` documents the JSON."""

from boostpack.reporting.build import build_report, demo_step, report
from boostpack.reporting.cluster_agent import ClusterAgentConfig
from boostpack.reporting.diversity import DiversityOptions

__all__ = ["ClusterAgentConfig", "DiversityOptions", "build_report", "demo_step", "report"]
