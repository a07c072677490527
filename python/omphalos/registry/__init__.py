"""Official watchlists -> the registry inputs of a run (docs/registries.md).

``omphalos registry import`` converts one list (OFAC SDN and consolidated raw CSVs, the packaged
OFAC SDN CSV, the UN Security Council XML, the trade.gov Consolidated Screening List, the BIS
Denied Persons List) into ``registry_entities.csv``, ``registry_names.csv`` and
``registry_identifiers.csv`` as docs/inputs.md defines them, plus ``registry_addresses.csv`` and
``registry_source.json`` (each source file's sha256, size, encoding, list date and counts).
``combine`` joins registries of different lists; ``diff`` reports what changed between two
versions of a list.
"""
