"""Tools beside the pipeline: the demo data generator, the name-matching evaluation and the
publishability scan."""
