"""CLI subcommands, one module each; ``boostpack.cli`` discovers them."""
