"""The evidence core: canonical JSON, Merkle trees, the run manifest, the hash-chained logs,
keys and signatures, verification, release bundles, run comparison and certification."""
