"""The headless terminal runtime (``python -m workflows.terminal --config FILE``) and its control socket."""
