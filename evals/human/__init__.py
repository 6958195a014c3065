"""Human judgements: reading human-score files (WMT DA, MQM, ESA, TSV, JSONL), matching them to a run, importing.

Bottom to top: ``records`` (what a reader yields), ``options`` (``--option k=v``), the readers
(``wmt_da``, ``mqm``, ``tables``), ``formats`` (the registry of formats and what each can do),
``matching`` (human system names and segment ids → the run's systems and segments), ``importer``
(read, match, store) and ``extract`` (a run-ready suite from an MQM file's own text).
"""
