"""CLI subcommands, one module each; ``boostpack.cli`` discovers them.

The only place that prints human summaries: library functions return their reports, and the
command turns them into lines. Modules starting with ``_`` hold what several commands share.
"""
