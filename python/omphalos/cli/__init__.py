"""The command line layer: every ``add_arguments``/``main_from_args``, every ``print`` and every
exit code of `omphalos` (app.py builds the parser; one module per command beside it)."""
