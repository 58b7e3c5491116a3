"""Dedup: exact and near-duplicate removal, and benchmark decontamination (``boostpack.dedup``).

``pipeline.dedup`` runs three phases over one ``config.DedupConfig``, one module each: ``sign``
(read and hash), ``cluster`` (decide; the keep rule is in ``keep``) and ``write`` (carry out the
``plan``). The phases hand files to each other through the ``workdir`` and read them back
through ``store``. Below them are the building blocks: ``text`` (what is compared),
``minhash``, ``lsh``, ``candidates`` (pairs from sorted keys), ``verification`` (of pairs),
``unionfind``, ``decontam``, and ``settings`` (every default and limit, defined once). Imports go from the driver to the phases
to the building blocks, never back; ``settings`` imports nothing heavy, so the CLI can show
the defaults without loading numpy.
"""
