"""One terminal config (:mod:`.config`), one builder (:mod:`.builder`), and the headless runtime
(``python -m workflows.terminal --config FILE``) with its control socket."""
