"""The pipeline: configuration, admission of the inputs, the engines that run dbt, the sealed run
and the export of its tables."""
