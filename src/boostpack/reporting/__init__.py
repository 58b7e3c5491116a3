"""``boostpack report``: what is in the data and what dedup did to it (mix, lengths, dedup
effects, diversity), as JSON and one self-contained HTML page. ``build.build_report`` is the entry
point (also ``boostpack.report``); ``docs/report.md`` documents the JSON."""
